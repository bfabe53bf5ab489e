using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Deploy.DeployTestKit;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>Release content is untrusted: names cannot escape artsDirPath and arguments never reach a shell.</summary>
public class HostileReleaseTests
{
    private const string Id = "66.evil@6.6.6";

    [Fact]
    public async Task DeployStart_TraversalItemKeysAndShellArguments_NothingWrittenOutsideArtsDirNothingInterpreted()
    {
        using var catalog = new TestCatalog();
        var script = Script("""
            for a in "$@"; do printf '[%s]\n' "$a"; done > args.txt
            echo written > out.txt
            """);
        var payload = "payload"u8.ToArray();
        Directory.CreateDirectory(Path.Combine(catalog.Path, "files", "evil"));
        File.WriteAllBytes(Path.Combine(catalog.Path, "files", "evil", "install.sh"), script);
        File.WriteAllBytes(Path.Combine(catalog.Path, "files", "evil", "payload.bin"), payload);
        catalog.AddRaw(new JsonObject
        {
            ["release"] = TestCatalog.Release(Id),
            ["isPush"] = false,
            ["dependedOnBy"] = new JsonArray(),
            ["artifacts"] = new JsonArray(
                Artifact("../../x", "files/evil/install.sh", script, executable: true, arguments: "; rm -rf / # $(touch /tmp/pwned) `touch /tmp/pwned`"),
                Artifact("../../y", "files/evil/payload.bin", payload, executable: false, arguments: null)),
        }).Write();
        var pwnedBefore = File.Exists("/tmp/pwned") ? File.GetLastWriteTimeUtc("/tmp/pwned") : (DateTime?)null;

        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await DeliveredReleases.DeliverAsync(agent, catalog.Path, Id);
        var arts = ArtsDir(agent, Id);
        var outsideBefore = FilesOutside(agent.DataDir, arts);

        Assert.Equal(HttpStatusCode.OK, (await StartAsync(agent, Id)).StatusCode);
        await WaitInstalledAsync(agent, Id);

        Assert.Equal(["[;]", "[rm]", "[-rf]", "[/]", "[#]", "[$(touch]", "[/tmp/pwned)]", "[`touch]", "[/tmp/pwned`]"], File.ReadAllLines(Path.Combine(arts, "args.txt")));
        Assert.True(File.Exists(Path.Combine(arts, "out.txt")));
        Assert.Equal(pwnedBefore, File.Exists("/tmp/pwned") ? File.GetLastWriteTimeUtc("/tmp/pwned") : null);
        Assert.False(File.Exists(Path.GetFullPath(Path.Combine(arts, "../../x"))));
        Assert.False(File.Exists(Path.GetFullPath(Path.Combine(arts, "../../y"))));
        // Outside the release's folder only the agent's own files change: its database and the installer's log.
        var outsideAfter = FilesOutside(agent.DataDir, arts);
        var written = outsideAfter.Except(outsideBefore).ToList();
        Assert.DoesNotContain(written, f => !f.StartsWith("logs/deployments/", StringComparison.Ordinal));
        Assert.All(Directory.GetFiles(Path.Combine(agent.DataDir, "logs", "deployments")), f => Assert.Equal(Path.Combine(agent.DataDir, "logs", "deployments"), Path.GetDirectoryName(f)));
    }

    private static JsonObject Artifact(string itemKey, string url, byte[] content, bool executable, string? arguments) => new()
    {
        ["itemKey"] = itemKey,
        ["artifactType"] = "software",
        ["url"] = url,
        ["size"] = content.Length,
        ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(SHA256.HashData(content)) },
        ["isExecutable"] = executable,
        ["arguments"] = arguments,
    };

    private static HashSet<string> FilesOutside(string dataDir, string artsDir) =>
        Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(artsDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(dataDir, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("agent.db", StringComparison.Ordinal))
            // The space reserve is the agent's own file, made in the background once it has started (written as
            // space.reserve.new, then renamed: either name may be seen).
            .Where(f => !f.StartsWith(DiskSpace.ReserveFileName, StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
}
