using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.OfflineMedia;

/// <summary>
/// GetApp's USB transfer: an agent with a network delivers releases from a GetApp server (signed, no hashes, as a real
/// origin sends them); <c>getapp-agent export</c> (the real executable) writes them with their dependencies and
/// signatures as a catalog; a second agent, cut off, delivers and installs them from it with <c>--catalog</c>.
/// </summary>
public sealed class ExportTests : IAsyncLifetime
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "8.demo-lib@2.1.0";
    private const string Docs = "9.demo-docs@0.1.0";

    private readonly TempDirectory _temp = new("getapp-export");
    private readonly CosignKey _key = new();
    private GetAppServerDouble _server = null!;
    private TestAgent _connected = null!;

    private string Usb => _temp.Combine("usb");

    public async Task InitializeAsync()
    {
        _server = await GetAppServerDouble.StartAsync();
        _server.SignFiles = _key.Sign;
        _server
            .AddRelease(App, isPush: true,
                files: new Dictionary<string, byte[]> { ["install.sh"] = "#!/bin/sh\nprintf '%s\\n' \"$@\" > args.txt\n"u8.ToArray(), ["app.bin"] = new byte[300_000] },
                executable: "install.sh", arguments: "--mode \"full install\"")
            .AddRelease(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.tar"] = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray() })
            .AddRelease(Docs, files: new Dictionary<string, byte[]> { ["docs.txt"] = "docs"u8.ToArray() });
        _connected = await _server.StartAgentAsync(cosignPublicKey: _key.PublicKeyFile);
        await _connected.WaitForAsync(App, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _connected.DisposeAsync();
        await _server.DisposeAsync();
        _key.Dispose();
        _temp.Dispose();
    }

    private Task<AgentCommand.Result> ExportAsync(params string[] arguments) =>
        AgentCommand.RunAsync(["export", "--to", Usb, "--data-dir", _connected.DataDir, .. arguments]);

    private static void AssertOk(AgentCommand.Result result) =>
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\nstdout:\n{result.Out}\nstderr:\n{result.Err}");

    [Fact]
    public async Task Export_WhileTheAgentRuns_SecondAgentDeliversAndInstallsFromTheCatalog_WithDependencyAndSignatures()
    {
        var export = await ExportAsync("--cosign-public-key", _key.PublicKeyFile, App);

        AssertOk(export);
        Assert.Contains($"Exported {Lib}, {App} (3 file(s)", export.Out);
        Assert.Contains($"signatures checked with {_key.PublicKeyFile}", export.Out);
        var releases = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")))!["releases"]!.AsArray();
        Assert.Equal([App, Lib], releases.Select(r => r!["release"]!["id"]!.GetValue<string>()));
        var lib = releases.Single(r => r!["release"]!["id"]!.GetValue<string>() == Lib)!;
        Assert.Equal([App], lib["dependedOnBy"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.All(releases.SelectMany(r => r!["artifacts"]!.AsArray()), a =>
        {
            Assert.False(string.IsNullOrEmpty(a!["signature"]?.GetValue<string>()));
            Assert.Equal("SHA256Hex", a["hash"]!["algorithm"]!.GetValue<string>());
            Assert.DoesNotContain("X-Amz", a["url"]!.GetValue<string>(), StringComparison.Ordinal); // no presigned URL travels
        });
        AssertOk(await AgentCommand.RunAsync(["catalog", "verify", Usb, "--cosign-public-key", _key.PublicKeyFile]));

        await using var cutOff = await TestAgent.StartAsync(Usb, configure: o => o with { CosignPublicKey = _key.PublicKeyFile });
        var delivered = await cutOff.WaitForAsync(App, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        Assert.True(delivered.State == ReleaseState.Downloaded, delivered.ErrMsg);
        var original = (await _connected.Releases.FindAsync(Lib, CancellationToken.None))!.ArtsDirPath!;
        var carried = (await cutOff.WaitForAsync(Lib, s => s.State == ReleaseState.Downloaded)).ArtsDirPath!;
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(original, "lib.tar")), await File.ReadAllBytesAsync(Path.Combine(carried, "lib.tar")));

        var deploy = await cutOff.Client.PostAsync($"/api/v2/deploy/start/{Uri.EscapeDataString(App)}", null);
        Assert.True(deploy.IsSuccessStatusCode, await deploy.Content.ReadAsStringAsync());
        var installed = await cutOff.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        Assert.True(installed.State == ReleaseState.Installed, installed.ErrMsg);
        Assert.Equal(["--mode", "full install"], await File.ReadAllLinesAsync(Path.Combine(installed.ArtsDirPath!, "args.txt")));
        Assert.Equal(ReleaseState.Installed, (await cutOff.WaitForAsync(Lib, s => s.State == ReleaseState.Installed)).State);
    }

    [Fact]
    public async Task Export_SignatureOnTheStickDamaged_TheCutOffAgentRefusesTheArtifact()
    {
        AssertOk(await ExportAsync(App));
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")))!;
        var lib = json["releases"]!.AsArray().Single(r => r!["release"]!["id"]!.GetValue<string>() == Lib)!;
        using var otherKey = new CosignKey();
        lib["artifacts"]![0]!["signature"] = otherKey.Sign(new byte[] { 1 });
        await File.WriteAllTextAsync(Path.Combine(Usb, "catalog.json"), json.ToJsonString());

        await using var cutOff = await TestAgent.StartAsync(Usb, configure: o => o with { CosignPublicKey = _key.PublicKeyFile });
        var refused = await cutOff.WaitForAsync(Lib, s => s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.Contains("Signature Validation failed", refused.ErrMsg);
    }

    [Fact]
    public async Task Export_IntoAnExistingCatalog_Merges_AndWithTheAgentStopped()
    {
        Directory.CreateDirectory(_temp.Combine("src"));
        var tool = _temp.Combine("src", "tool.bin");
        await File.WriteAllBytesAsync(tool, "tool"u8.ToArray());
        AssertOk(await AgentCommand.RunAsync(["catalog", "init", Usb]));
        AssertOk(await AgentCommand.RunAsync(["catalog", "add", Usb, "--project", "tool", "--version", "1.0", "--project-id", "40", tool]));
        AssertOk(await ExportAsync(Lib));
        Assert.True((await _connected.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(Docs)}", null)).IsSuccessStatusCode);
        await _connected.WaitForAsync(Docs, s => s.State == ReleaseState.Downloaded);
        await _connected.App.StopAsync(); // export needs no running agent, and no data dir lock

        var second = await ExportAsync("--push", App, Docs);

        AssertOk(second);
        var releases = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")))!["releases"]!.AsArray();
        Assert.Equal(["40.tool@1.0", App, Lib, Docs], releases.Select(r => r!["release"]!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.True(releases.Single(r => r!["release"]!["id"]!.GetValue<string>() == Docs)!["isPush"]!.GetValue<bool>());
        var verify = await AgentCommand.RunAsync(["catalog", "verify", Usb, "--cosign-public-key", _key.PublicKeyFile]);
        Assert.Equal(1, verify.ExitCode); // the hand-added tool is not signed: verify with the key says so, and only that
        Assert.Contains("artifact '40.tool@1.0@tool.bin': Signature Validation failed: the artifact is not signed", Assert.Single(verify.ErrLines, l => !l.Contains("problem(s)", StringComparison.Ordinal)));
        AssertOk(await AgentCommand.RunAsync(["catalog", "verify", Usb]));
    }

    [Fact]
    public async Task Export_OfAReleaseOnlyOffered_OrUnknown_IsRefusedAndWritesNothing()
    {
        var offered = await ExportAsync(Docs);
        var unknown = await ExportAsync("1.nope@1.0");

        Assert.Equal(1, offered.ExitCode);
        Assert.Contains($"'{Docs}' is not delivered on this agent (it is only offered): deliver it first (getapp-agent deliver {Docs}), then export", Assert.Single(offered.ErrLines));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("This agent does not know '1.nope@1.0'", Assert.Single(unknown.ErrLines));
        Assert.False(File.Exists(Path.Combine(Usb, "catalog.json")));
    }

    [Fact]
    public async Task Export_OfAFileChangedSinceDelivery_IsRefused_AndLeavesNoFileBehind()
    {
        var lib = await _connected.WaitForAsync(Lib, s => s.State == ReleaseState.Downloaded);
        var file = Path.Combine(lib.ArtsDirPath!, "lib.tar");
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[10] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);

        // The server sent signatures and no hashes (as a real origin does): the key is what tells the change.
        var result = await ExportAsync("--cosign-public-key", _key.PublicKeyFile, App);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'{Lib}': artifact '{Lib}@lib.tar': Signature Validation failed", Assert.Single(result.ErrLines));
        Assert.Empty(Directory.Exists(Usb) ? Directory.EnumerateFiles(Usb, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".catalog.lock", StringComparison.Ordinal)) : []);
    }
}
