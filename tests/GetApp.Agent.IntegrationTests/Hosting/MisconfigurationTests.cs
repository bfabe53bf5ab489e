using System.Net;
using System.Net.Sockets;
using GetApp.Agent.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>
/// Each start-up mistake an operator is likely to make, run as the real executable: one line on stderr naming the
/// problem and the fix, exit code 2, and nothing started (no discovery, no delivery, no deploy recovery).
/// </summary>
public sealed class MisconfigurationTests : IDisposable
{
    private readonly TempDirectory _temp = new("getapp-misconfig");

    public void Dispose() => _temp.Dispose();

    private Task<AgentCommand.Result> RunAsync(params string[] arguments) =>
        AgentCommand.RunAsync(["run", "--data-dir", _temp.Combine("data"), .. arguments], workingDirectory: _temp.Path);

    private static void AssertRefused(AgentCommand.Result result, params string[] expected)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}\nstdout:\n{result.Out}\nstderr:\n{result.Err}");
        var line = Assert.Single(result.ErrLines);
        Assert.StartsWith("getapp-agent: ", line);
        foreach (var text in expected)
        {
            Assert.Contains(text, line);
        }

        Assert.DoesNotContain("   at ", result.Out + result.Err);
        Assert.DoesNotContain("listening on", result.Out);
    }

    [Fact]
    public async Task PortAlreadyInUse_OneLineExit2_AndNothingStartedBeforeTheBindFailed()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease("7.demo-app@1.0.0", isPush: true, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] });

        var result = await RunAsync("--urls", $"http://127.0.0.1:{port}", "--upstream", server.BaseUrl);

        AssertRefused(result, $"port {port} is already in use", $"--urls http://127.0.0.1:OTHER_PORT");
        // Discovery and the pushed delivery would have spoken to the server: it heard nothing.
        Assert.Empty(server.Received);
        Assert.Empty(Directory.GetFiles(_temp.Combine("data", "partial")));
    }

    [Fact]
    public async Task ReleasesTableWithAnUnknownState_OneLineNamingTheValueAndTheDatabase_Exit2_NothingStarted()
    {
        await using (var first = await AgentProcess.StartAsync(_temp.Combine("data"), []))
        {
            await first.TerminateAsync(TimeSpan.FromSeconds(30));
        }

        var database = _temp.Combine("data", "agent.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO releases (catalog_id, release_json, state, discovered_at, updated_at) " +
                "VALUES ('7.app@1.0.0', '{}', 'teleported', '2026-01-01T00:00:00.0000000+00:00', '2026-01-01T00:00:00.0000000+00:00');";
            await insert.ExecuteNonQueryAsync();
        }

        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease("8.demo-app@1.0.0", isPush: true, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[1000] });
        var result = await RunAsync("--urls", "http://127.0.0.1:0", "--upstream", server.BaseUrl);

        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}\nstdout:\n{result.Out}\nstderr:\n{result.Err}");
        var line = Assert.Single(result.ErrLines);
        Assert.Contains("'teleported'", line);
        Assert.Contains(database, line);
        Assert.DoesNotContain("   at ", result.Out + result.Err);
        // No discovery, no pushed delivery: the engines never started.
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task PortAlreadyInUse_InProcess_NoHostedServiceOfTheAgentStarts()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var probe = new StartProbe();

        var e = await Assert.ThrowsAsync<AgentConfigurationException>(() => TestAgent.StartAsync(
            catalogDir: RepoPaths.SampleCatalog,
            configure: o => o with { Urls = [$"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}"] },
            configureServices: s => s.AddSingleton<IHostedService>(sp => probe.Using(sp))));

        Assert.Contains("already in use", e.Message);
        Assert.False(probe.Started, "a hosted service of the agent started before the API was bound");
    }

    [Fact]
    public async Task HostedServices_StartOnlyAfterTheApiIsBound()
    {
        var probe = new StartProbe();
        await using var agent = await TestAgent.StartAsync(configureServices: s => s.AddSingleton<IHostedService>(sp => probe.Using(sp)));

        Assert.True(probe.Started);
        Assert.True(probe.ServerWasListening, "the hosted service started before Kestrel listened");
    }

    [Fact]
    public async Task UrlWithoutScheme_SaysToWriteHttp()
    {
        var result = await RunAsync("--urls", "127.0.0.1:2244");

        AssertRefused(result, "'127.0.0.1:2244'", "has no scheme: write http://127.0.0.1:2244");
    }

    [Fact]
    public async Task UrlWithPath_SaysTheApiIsAtTheRoot()
    {
        var result = await RunAsync("--urls", "http://127.0.0.1:2244/api");

        AssertRefused(result, "has a path", "write http://127.0.0.1:2244");
    }

    [Fact]
    public async Task HttpsWithoutCertificate_SaysWhichOptionsToGive()
    {
        var result = await RunAsync("--urls", "https://127.0.0.1:2244");

        AssertRefused(result, "is https:// but no certificate is configured", "--https-certificate", "--https-key", "or listen on http://");
    }

    [Fact]
    public async Task HttpsCertificateThatDoesNotExist_IsNamed()
    {
        var result = await RunAsync("--urls", "https://127.0.0.1:0", "--https-certificate", _temp.Combine("nope.pem"));

        AssertRefused(result, $"{_temp.Combine("nope.pem")} does not exist");
    }

    [Fact]
    public async Task MalformedAppSettings_NamesTheFileAndTheLine()
    {
        await File.WriteAllTextAsync(_temp.Combine("appsettings.json"), "{\n  \"Agent\": {\n    \"DataDir\": \"x\"\n  \n");

        var result = await RunAsync();

        AssertRefused(result, $"{_temp.Combine("appsettings.json")} is not valid JSON at line", "fix it (or remove the file)");
    }

    [Fact]
    public async Task MissingCatalogFolder_IsAnError_ThatSaysHowToMakeOne()
    {
        var missing = _temp.Combine("usb", "catalog");

        var result = await RunAsync("--catalog", missing);

        AssertRefused(result, $"The offline catalog folder {missing}", "does not exist", $"getapp-agent catalog init {missing}");
        Assert.False(File.Exists(_temp.Combine("data", "agent.db")), "the agent opened its database for a start it refused");
    }

    [Fact]
    public async Task CatalogFolderWithoutCatalogJson_IsAnError()
    {
        Directory.CreateDirectory(_temp.Combine("empty"));

        var result = await RunAsync("--catalog", _temp.Combine("empty"));

        AssertRefused(result, "has no catalog.json", "catalog init");
    }

    [Fact]
    public async Task CatalogJsonGivenInsteadOfItsFolder_PointsAtTheFolder()
    {
        var result = await RunAsync("--catalog", Path.Combine(RepoPaths.SampleCatalog, "catalog.json"));

        AssertRefused(result, "is a file, not a folder", $"--catalog {RepoPaths.SampleCatalog}");
    }

    [Fact]
    public async Task UnknownLogLevel_ListsTheLevels()
    {
        var result = await RunAsync("--log-level", "verbose");

        AssertRefused(result, "'verbose' is not a log level", "trace, debug, information");
    }

    [Fact]
    public async Task UnknownLogFormat_ListsTheFormats()
    {
        var result = await RunAsync("--log-format", "xml");

        AssertRefused(result, "'xml' is not a log format: use text, json or systemd");
    }

    [Fact]
    public async Task DataDirInUse_IsOneLineExit2()
    {
        await using var first = await TestAgent.StartAsync(dataDir: _temp.Combine("data"), catalogDir: RepoPaths.SampleCatalog);

        var result = await RunAsync("--urls", "http://127.0.0.1:0", "--catalog", RepoPaths.SampleCatalog);

        AssertRefused(result, "in use by another agent", "--data-dir");
    }

    [Fact]
    public async Task CatalogAndUpstreamTogether_SaysToKeepOne()
    {
        var result = await RunAsync("--catalog", RepoPaths.SampleCatalog, "--upstream", "http://127.0.0.1:1");

        AssertRefused(result, "Both an offline catalog", "give only one");
    }

    [Fact]
    public async Task NonLoopbackBindWithoutSecret_IsOneLineExit2()
    {
        var result = await RunAsync("--urls", "http://0.0.0.0:0", "--catalog", RepoPaths.SampleCatalog);

        AssertRefused(result, "without a device secret", "--device-secret");
    }

    [Fact]
    public async Task CosignKeyThatCannotBeRead_IsOneLineExit2()
    {
        var result = await RunAsync("--catalog", RepoPaths.SampleCatalog, "--cosign-public-key", _temp.Combine("missing.pub"));

        AssertRefused(result, "cosign public key", _temp.Combine("missing.pub"));
    }

    /// <summary>A hosted service that records whether (and when) the host started it.</summary>
    private sealed class StartProbe : IHostedService
    {
        private IServiceProvider? _services;

        public bool Started { get; private set; }
        public bool ServerWasListening { get; private set; }

        public StartProbe Using(IServiceProvider services)
        {
            _services = services;
            return this;
        }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            // Port 0 is resolved only once Kestrel has bound.
            var addresses = _services!.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            ServerWasListening = addresses.Count > 0 && addresses.All(a => !a.EndsWith(":0", StringComparison.Ordinal));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
