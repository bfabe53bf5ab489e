using System.CommandLine;
using System.Globalization;
using GetApp.Agent.Core.OfflineMedia;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// <c>getapp-agent catalog init|add|verify</c>: make and check offline catalog folders (a USB stick for a cut-off site)
/// without computing sizes and hashes by hand. They work on the folder only; no agent needs to run.
/// </summary>
internal static class CatalogCommands
{
    public static Command Create() => new("catalog", "Make and check offline catalog folders (for --catalog), e.g. on a USB stick.")
    {
        Init(), Add(), Verify(),
    };

    private static Command Init()
    {
        var dir = new Argument<string>("dir") { Description = "The folder to make a catalog in (created if needed)." };
        var command = new Command("init", "Start an empty catalog (catalog.json) in a folder.") { dir };
        command.SetAction((result, ct) => OfflineTool.RunAsync(async () =>
        {
            var root = Path.GetFullPath(result.GetValue(dir)!);
            await CatalogFolder.InitAsync(root, ct).ConfigureAwait(false);
            Console.WriteLine($"Empty catalog written to {Path.Combine(root, "catalog.json")}; add releases with: getapp-agent catalog add {root} --project NAME --version VERSION FILE...");
            return 0;
        }));
        return command;
    }

    private static Command Add()
    {
        var dir = new Argument<string>("dir") { Description = "The catalog folder (made with `catalog init`)." };
        var files = new Argument<string[]>("file") { Description = "The release's files, copied into the catalog. FILE.sig beside a file is its cosign signature.", Arity = ArgumentArity.ZeroOrMore };
        var project = new Option<string>("--project") { Description = "Project name, e.g. demo-app.", Required = true };
        var version = new Option<string>("--version") { Description = "Release version, e.g. 1.0.0.", Required = true };
        var projectId = new Option<int?>("--project-id") { Description = "GetApp's numeric project id (default: the project's id in this catalog, else the next free one). The catalog id is PROJECTID.PROJECT@VERSION." };
        var push = new Option<bool>("--push") { Description = "Push the release: agents deliver it by themselves (else it is offered)." };
        var dependsOn = new Option<string[]>("--depends-on") { Description = "Catalog id(s) of releases in this catalog it depends on (delivered and installed first).", AllowMultipleArgumentsPerToken = true };
        var installer = new Option<string>("--installer") { Description = "The file that installs the release (default: files with the execute bit are executable; the first one installs)." };
        var arguments = new Option<string>("--arguments") { Description = "The installer's arguments (shell-like quoting, never run through a shell)." };
        var displayName = new Option<string>("--display-name") { Description = "Name shown to people (default: the project name)." };
        var notes = new Option<string>("--release-notes") { Description = "Release notes." };
        var autoDeploy = new Option<bool>("--auto-deploy") { Description = "Install it as soon as it is delivered (metadata.autoDeploy)." };
        var replace = new Option<bool>("--replace") { Description = "Replace a release with the same catalog id." };
        var cosign = new Option<string>("--cosign-public-key") { Description = "Check every FILE.sig with this PEM key as it is added (refuses a missing or wrong signature)." };
        var command = new Command("add", "Add a release to a catalog: copies its files, computes sizes and SHA-256, records executables, arguments, signatures and dependencies.")
        {
            dir, files, project, version, projectId, push, dependsOn, installer, arguments, displayName, notes, autoDeploy, replace, cosign,
        };
        command.SetAction((result, ct) => OfflineTool.RunAsync(async () =>
        {
            var request = new CatalogAddRequest
            {
                CatalogDir = result.GetValue(dir)!,
                Project = result.GetValue(project)!,
                Version = result.GetValue(version)!,
                ProjectId = result.GetValue(projectId),
                Files = result.GetValue(files) ?? [],
                Push = result.GetValue(push),
                DependsOn = result.GetValue(dependsOn) ?? [],
                Installer = result.GetValue(installer),
                Arguments = result.GetValue(arguments),
                DisplayName = result.GetValue(displayName),
                ReleaseNotes = result.GetValue(notes),
                AutoDeploy = result.GetValue(autoDeploy),
                Replace = result.GetValue(replace),
                Cosign = OfflineTool.Cosign(result.GetValue(cosign)),
            };
            using (request.Cosign)
            {
                var entry = await CatalogAdd.RunAsync(request, TimeProvider.System, ct).ConfigureAwait(false);
                Console.WriteLine($"Added {entry.CatalogId}{(entry.IsPush ? " (push)" : "")} to {Path.Combine(Path.GetFullPath(request.CatalogDir), "catalog.json")}");
                foreach (var artifact in entry.Artifacts ?? [])
                {
                    var flags = string.Join(", ", new[]
                    {
                        artifact.IsExecutable == true ? "installer/executable" : null,
                        artifact.Arguments is { } a ? $"arguments: {a}" : null,
                        artifact.Signature is not null ? "signed" : null,
                    }.OfType<string>());
                    Console.WriteLine($"  {artifact.Url}  {OfflineTool.Size(artifact.Size ?? 0)}  sha256:{artifact.Hash!.Hash}{(flags.Length > 0 ? $"  ({flags})" : "")}");
                }

                foreach (var dependency in request.DependsOn)
                {
                    Console.WriteLine($"  depends on {dependency}");
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command Verify()
    {
        var dir = new Argument<string>("dir") { Description = "The catalog folder." };
        var cosign = new Option<string>("--cosign-public-key") { Description = "Also check every artifact's cosign signature with this PEM key (as an agent configured with it will)." };
        var command = new Command("verify", "Check a catalog as an agent will use it: every file's size and SHA-256, dependencies, paths, and signatures with --cosign-public-key.")
        {
            dir, cosign,
        };
        command.SetAction((result, ct) => OfflineTool.RunAsync(async () =>
        {
            using var verifier = OfflineTool.Cosign(result.GetValue(cosign));
            var report = await CatalogVerifier.VerifyAsync(result.GetValue(dir)!, verifier, ct).ConfigureAwait(false);
            if (!report.Ok)
            {
                foreach (var problem in report.Problems)
                {
                    Console.Error.WriteLine($"getapp-agent: {problem}");
                }

                Console.Error.WriteLine($"getapp-agent: {report.CatalogFile}: {report.Problems.Count} problem(s); an agent would refuse or fail these");
                return 1;
            }

            var signatures = verifier.KeyPath is null ? "signatures not checked (no --cosign-public-key)" : $"{report.SignaturesChecked} signature(s) valid for {verifier.KeyPath}";
            var remote = report.RemoteFiles > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {report.RemoteFiles} remote file(s) not checked") : "";
            Console.WriteLine($"{report.CatalogFile}: OK: {report.Releases} release(s), {report.Files} file(s), {OfflineTool.Size(report.Bytes)} hashed; " +
                $"dependencies resolve; {signatures}{remote}");
            return 0;
        }));
        return command;
    }
}
