using System.CommandLine;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.OfflineMedia;
using GetApp.Agent.Hosting;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// <c>getapp-agent export --to DIR ID...</c>: writes releases this agent has delivered, with their dependencies and
/// signatures, as an offline catalog for another agent's <c>--catalog</c>. It reads the data dir (read-only, beside a
/// running agent or with it stopped; see <see cref="ReleaseExporter"/>), so it needs no API access and no secret.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var ids = new Argument<string[]>("catalog-id") { Description = "Releases to export, e.g. 7.demo-app@1.0.0 (their dependencies come along).", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string>("--to") { Description = "The catalog folder to write (created, or merged into when it holds a catalog already).", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "The agent's data dir (default as for `run`: GETAPP_DATA_DIR, DATA_PATH, appsettings, ./getapp-data)." };
        var push = new Option<bool>("--push") { Description = "Mark the named releases as pushed, so the receiving agent delivers them by itself." };
        var cosign = new Option<string>("--cosign-public-key") { Description = "Check every artifact's signature with this PEM key (default as for `run`: the agent's configured key, or <data-dir>/cosign.pub)." };
        var command = new Command("export", "Write releases this agent delivered (with dependencies and signatures) as an offline catalog for another agent's --catalog.")
        {
            ids, to, dataDir, push, cosign,
        };
        command.SetAction((result, ct) => OfflineTool.RunAsync(async () =>
        {
            var (appSettings, _) = AppSettingsFiles.Load(AppSettingsFiles.DefaultPaths);
            var options = AgentOptionsResolver.Resolve(
                new CommandLineValues(null, result.GetValue(dataDir), null, null, null, result.GetValue(cosign)), Environment.GetEnvironmentVariable, appSettings);
            using var verifier = CosignVerifier.For(options);
            var report = await ReleaseExporter.ExportAsync(new ExportRequest
            {
                DataDir = options.DataDir,
                ToDir = result.GetValue(to)!,
                CatalogIds = result.GetValue(ids)!,
                Push = result.GetValue(push),
                Cosign = verifier,
            }, file => Console.WriteLine($"  copied {file}"), ct).ConfigureAwait(false);
            Console.WriteLine($"Exported {string.Join(", ", report.Exported)} ({report.Files} file(s), {OfflineTool.Size(report.Bytes)}) to {Path.Combine(report.CatalogDir, "catalog.json")}" +
                (verifier.KeyPath is null ? "" : $"; signatures checked with {verifier.KeyPath}"));
            Console.WriteLine($"On the other device: getapp-agent run --catalog {report.CatalogDir}");
            return 0;
        }));
        return command;
    }
}
