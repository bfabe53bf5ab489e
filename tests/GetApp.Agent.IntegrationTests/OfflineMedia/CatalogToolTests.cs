using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.OfflineMedia;

/// <summary>
/// <c>getapp-agent catalog init|add|verify</c>, run as the real executable, and the catalog they make used by an agent
/// with <c>--catalog</c>: sizes, hashes, executables, arguments, dependencies and cosign signatures round-trip.
/// </summary>
public sealed class CatalogToolTests : IDisposable
{
    private const string Runtime = "1.demo-runtime@2.1.0";
    private const string App = "2.demo-app@1.0.0";

    private readonly TempDirectory _temp = new("getapp-catalog-tool");
    private readonly CosignKey _key = new();

    public CatalogToolTests()
    {
        Directory.CreateDirectory(_temp.Combine("src"));
    }

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    private string Usb => _temp.Combine("usb");

    private static Task<AgentCommand.Result> RunAsync(params string[] arguments) => AgentCommand.RunAsync(arguments);

    private static void AssertOk(AgentCommand.Result result) =>
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\nstdout:\n{result.Out}\nstderr:\n{result.Err}");

    /// <summary>Writes a source file (optionally executable) and, with <paramref name="sign"/>, its cosign signature as FILE.sig.</summary>
    private string Source(string name, byte[] content, bool executable = false, bool sign = true)
    {
        var path = _temp.Combine("src", name);
        File.WriteAllBytes(path, content);
        if (executable && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }

        if (sign)
        {
            File.WriteAllText(path + ".sig", _key.Sign(content) + "\n");
        }

        return path;
    }

    private async Task MakeCatalogAsync()
    {
        var installer = Source("install.sh", "#!/bin/sh\nprintf '%s\\n' \"$@\" > args.txt\ncat app.tar.gz > used.txt\n"u8.ToArray(), executable: true);
        var payload = Source("app.tar.gz", "the app"u8.ToArray());
        var runtime = Source("runtime.bin", new byte[50_000]);

        AssertOk(await RunAsync("catalog", "init", Usb));
        AssertOk(await RunAsync("catalog", "add", Usb, "--project", "demo-runtime", "--version", "2.1.0", "--cosign-public-key", _key.PublicKeyFile, runtime));
        var added = await RunAsync("catalog", "add", Usb, "--project", "demo-app", "--version", "1.0.0", "--push", "--auto-deploy",
            "--depends-on", Runtime, "--arguments", "--mode \"full install\"", "--cosign-public-key", _key.PublicKeyFile, installer, installer + ".sig", payload);
        AssertOk(added);
        Assert.Contains($"Added {App} (push)", added.Out);
        Assert.Matches(@"files/2\.demo-app@1\.0\.0/install\.sh .* \(installer/executable, arguments: --mode ""full install"", signed\)", added.Out);
    }

    [Fact]
    public async Task CatalogAdd_ThenRunWithCatalog_DeliversVerifiesSignaturesAndInstallsWithTheDependency()
    {
        await MakeCatalogAsync();
        var verify = await RunAsync("catalog", "verify", Usb, "--cosign-public-key", _key.PublicKeyFile);
        AssertOk(verify);
        Assert.Contains("OK: 2 release(s), 3 file(s)", verify.Out);
        Assert.Contains($"3 signature(s) valid for {_key.PublicKeyFile}", verify.Out);

        var catalog = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")))!["releases"]!.AsArray();
        var runtimeEntry = catalog.Single(r => r!["release"]!["id"]!.GetValue<string>() == Runtime)!;
        Assert.Equal([App], runtimeEntry["dependedOnBy"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal(50_000, runtimeEntry["artifacts"]![0]!["size"]!.GetValue<long>());

        // The agent, with the same key: the pushed app and its dependency are delivered, checked and installed by themselves.
        await using var agent = await TestAgent.StartAsync(Usb, configure: o => o with { CosignPublicKey = _key.PublicKeyFile });
        var app = await agent.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        Assert.True(app.State == ReleaseState.Installed, app.ErrMsg);
        Assert.Equal(["--mode", "full install"], await File.ReadAllLinesAsync(Path.Combine(app.ArtsDirPath!, "args.txt")));
        Assert.Equal("the app", await File.ReadAllTextAsync(Path.Combine(app.ArtsDirPath!, "used.txt")));
        var runtime = await agent.WaitForAsync(Runtime, s => s.State == ReleaseState.Installed);
        Assert.Equal(new byte[50_000], await File.ReadAllBytesAsync(Path.Combine(runtime.ArtsDirPath!, "runtime.bin")));
    }

    [Fact]
    public async Task Verify_ReportsEachDamagedFile_ADanglingDependency_AndAWrongSignature_WithExit1()
    {
        await MakeCatalogAsync();
        using var otherKey = new CosignKey();
        await File.WriteAllBytesAsync(Path.Combine(Usb, "files", App, "app.tar.gz"), "THE APP"u8.ToArray()); // same size, other bytes
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")))!;
        json["releases"]![0]!["dependedOnBy"]!.AsArray().Add("2.demo-app@1.0"); // a typo'd id
        await File.WriteAllTextAsync(Path.Combine(Usb, "catalog.json"), json.ToJsonString());

        var result = await RunAsync("catalog", "verify", Usb, "--cosign-public-key", otherKey.PublicKeyFile);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"artifact '{App}@app.tar.gz': the file 'files/{App}/app.tar.gz' has SHA-256", result.Err);
        Assert.Contains("dependedOnBy names '2.demo-app@1.0', which is not in the catalog", result.Err);
        Assert.Contains($"artifact '{Runtime}@runtime.bin': Signature Validation failed: its cosign signature does not match the file with the key {otherKey.PublicKeyFile}", result.Err);
        Assert.Contains("4 problem(s)", result.Err);
    }

    [Fact]
    public async Task Verify_APathThatEscapesTheFolder_IsRefusedByTheAgentsOwnReader()
    {
        AssertOk(await RunAsync("catalog", "init", Usb));
        await File.WriteAllTextAsync(_temp.Combine("secret.txt"), "x");
        var entry = new TestCatalog().Add("5.evil@1.0.0", files: new Dictionary<string, byte[]> { ["x.bin"] = "x"u8.ToArray() });
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(entry.Write().Path, "catalog.json")))!;
        json["releases"]![0]!["artifacts"]![0]!["url"] = "../secret.txt";
        await File.WriteAllTextAsync(Path.Combine(Usb, "catalog.json"), json.ToJsonString());
        entry.Dispose();

        var result = await RunAsync("catalog", "verify", Usb);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("url '../secret.txt' escapes the catalog folder", result.Err);
    }

    [Fact]
    public async Task Add_Refusals_AreOneLineAndLeaveTheCatalogAsItWas()
    {
        await MakeCatalogAsync();
        var before = await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json"));
        var file = Source("extra.bin", "x"u8.ToArray(), sign: false);
        var badSignature = Source("bad.bin", "y"u8.ToArray(), sign: false);
        await File.WriteAllTextAsync(badSignature + ".sig", _key.Sign("not y"u8.ToArray()));

        var cases = new (string[] Arguments, string Message)[]
        {
            (["--project", "demo-app", "--version", "1.0.0", file], $"'{App}' is already in the catalog {Usb}: give --replace"),
            (["--project", "tool", "--version", "1.0.0", "--depends-on", "9.nope@1", file], "--depends-on '9.nope@1' is not in the catalog"),
            (["--project", "tool", "--version", "1.0.0", "--cosign-public-key", _key.PublicKeyFile, file], "Signature Validation failed: the artifact is not signed"),
            (["--project", "tool", "--version", "1.0.0", "--cosign-public-key", _key.PublicKeyFile, badSignature], "Signature Validation failed: its cosign signature does not match"),
            (["--project", "tool", "--version", "1.0.0", "--arguments", "-q", file], "--arguments needs an installer"),
            (["--project", "my tool", "--version", "1.0.0", file], "is not a project name"),
            (["--project", "tool", "--version", "1.0.0", _temp.Combine("src", "missing.bin")], "missing.bin does not exist"),
        };
        foreach (var (arguments, message) in cases)
        {
            var result = await RunAsync(["catalog", "add", Usb, .. arguments]);

            Assert.True(result.ExitCode == 1, $"{string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.Out}\n{result.Err}");
            Assert.Contains(message, Assert.Single(result.ErrLines));
        }

        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")));
        // Nothing half-added either: a refused file never takes its name in the catalog folder.
        var toolFolder = Path.Combine(Usb, "files", "3.tool@1.0.0");
        Assert.True(!Directory.Exists(toolFolder) || !Directory.EnumerateFiles(toolFolder).Any(), "a refused file was left in the catalog");
    }

    [Fact]
    public async Task Add_WithReplace_ReplacesTheReleaseAndKeepsWhatDependsOnIt()
    {
        await MakeCatalogAsync();
        var runtime2 = Source("runtime.bin", new byte[10]);

        AssertOk(await RunAsync("catalog", "add", Usb, "--project", "demo-runtime", "--version", "2.1.0", "--replace", runtime2));

        var catalog = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Usb, "catalog.json")))!["releases"]!.AsArray();
        var runtime = catalog.Single(r => r!["release"]!["id"]!.GetValue<string>() == Runtime)!;
        Assert.Equal(10, runtime["artifacts"]![0]!["size"]!.GetValue<long>());
        Assert.Equal([App], runtime["dependedOnBy"]!.AsArray().Select(d => d!.GetValue<string>()));
        AssertOk(await RunAsync("catalog", "verify", Usb));
    }

    [Fact]
    public async Task Init_OnAnExistingCatalog_IsRefused_AndAddWithoutInit_SaysHow()
    {
        AssertOk(await RunAsync("catalog", "init", Usb));

        var again = await RunAsync("catalog", "init", Usb);
        var noCatalog = await RunAsync("catalog", "add", _temp.Combine("elsewhere"), "--project", "p", "--version", "1", Source("f.bin", [1], sign: false));

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("catalog.json already exists", again.Err);
        Assert.Equal(1, noCatalog.ExitCode);
        Assert.Contains($"getapp-agent catalog init {_temp.Combine("elsewhere")}", noCatalog.Err);
    }
}
