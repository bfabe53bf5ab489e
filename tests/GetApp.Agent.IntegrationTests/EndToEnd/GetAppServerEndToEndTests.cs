using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ServerReports;

namespace GetApp.Agent.IntegrationTests.EndToEnd;

/// <summary>
/// The agent against a GetApp server (the double, over loopback HTTP) with the real engines: discovery → a pushed release
/// and its dependency delivered and installed → every report on the server, in order → the next discovery says installed.
/// </summary>
public class GetAppServerEndToEndTests
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "8.demo-lib@2.1.0";

    private static GetAppServerDouble WithPushedAppAndLib(GetAppServerDouble server) => server
        .AddRelease(App, isPush: true,
            files: new Dictionary<string, byte[]> { ["install.sh"] = "#!/bin/sh\necho \"installing $GETAPP_CATALOG_ID\"\n"u8.ToArray(), ["app.bin"] = new byte[300_000] },
            executable: "install.sh", metadata: new JsonObject { ["autoDeploy"] = true })
        .AddRelease(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.tar"] = new byte[200_000] });

    [Fact]
    public async Task PushedReleaseWithDependency_IsDeliveredAndInstalled_AndTheServerGetsEveryReportInOrder()
    {
        await using var server = WithPushedAppAndLib(await GetAppServerDouble.StartAsync(secret: "s3cret"));
        await using var agent = await server.StartAgentAsync();

        await agent.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
        var lib = await agent.WaitForAsync(Lib, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error");
        Assert.Equal(ReleaseState.Installed, lib.State);
        await server.WaitForAsync(s => Statuses(s.DeployReports, App, "deployStatus").LastOrDefault() == "Done"
            && Statuses(s.DeployReports, Lib, "deployStatus").LastOrDefault() == "Done", "both deploy Done reports");

        AssertDeliveryReports(server, Lib);
        AssertDeliveryReports(server, App);
        AssertDeployReports(server, App);
        AssertDeployReports(server, Lib);
        // The dependency is delivered, and verified, before the root.
        var lastLibDone = server.DeliveryReports.ToList().FindIndex(r => Is(r, Lib, "deliveryStatus", "Done"));
        Assert.True(lastLibDone < server.DeliveryReports.ToList().FindIndex(r => Is(r, App, "deliveryStatus", "Done")));
        Assert.Empty(server.IgnoredReports);
        AssertIncreasingCurrentTime(server);
        // The secret goes to the server's API, never to the artifact URLs.
        Assert.All(server.Received.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)), r => Assert.Equal("s3cret", r.DeviceAuth));
        var downloads = server.Received.Where(r => !r.Path.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(downloads);
        Assert.All(downloads, r => Assert.Null(r.DeviceAuth));

        (await agent.Client.PostAsync("/api/v2/triggers/discover-component", null)).EnsureSuccessStatusCode();
        var components = server.Discoveries[^1]["softwareData"]!["components"]!.AsArray();
        Assert.Contains(components, c => c!["catalogId"]!.GetValue<string>() == App && c["state"]!.GetValue<string>() == "installed");
        Assert.Contains(components, c => c!["catalogId"]!.GetValue<string>() == Lib && c["state"]!.GetValue<string>() == "installed");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ServerSendsSignaturesAndNoHashes_KeyConfigured_OnlyFilesSignedWithTheKeyAreDelivered(bool signedWithTheKey)
    {
        using var key = new CosignKey();
        using var otherKey = new CosignKey();
        var signer = signedWithTheKey ? key : otherKey;
        await using var server = WithPushedAppAndLib(await GetAppServerDouble.StartAsync());
        server.SignFiles = signer.Sign;
        await using var agent = await server.StartAgentAsync(cosignPublicKey: key.PublicKeyFile);

        var lib = await agent.WaitForAsync(Lib, s => s.State is ReleaseState.Downloaded or ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        if (signedWithTheKey)
        {
            Assert.NotEqual("Error", lib.DeviceReleaseStatus);
            Assert.Equal(ReleaseState.Installed, (await agent.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60))).State);
        }
        else
        {
            Assert.Contains($"artifact '{Lib}@lib.tar': Signature Validation failed", lib.ErrMsg);
            Assert.Null(lib.ArtsDirPath);
            var app = await agent.WaitForAsync(App, s => s.DeviceReleaseStatus == "Error");
            Assert.Contains(Lib, app.ErrMsg);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ServerSendsSignaturesAndNoHashes_FileDamagedOnTheWay_FetchedOnceMoreThenDeliveredOrFailed(int damagedAnswers)
    {
        using var key = new CosignKey();
        await using var server = WithPushedAppAndLib(await GetAppServerDouble.StartAsync());
        server.SignFiles = key.Sign;
        server.CorruptFileAnswers = damagedAnswers; // the dependency's file is the first one fetched
        await using var agent = await server.StartAgentAsync(cosignPublicKey: key.PublicKeyFile);

        var lib = await agent.WaitForAsync(Lib, s => s.State is ReleaseState.Downloaded or ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));

        var fetches = server.Received.Count(r => r.Path.EndsWith("/lib.tar", StringComparison.Ordinal));
        Assert.Equal(2, fetches);
        if (damagedAnswers == 1)
        {
            Assert.NotEqual("Error", lib.DeviceReleaseStatus);
            Assert.Equal(new byte[200_000], await File.ReadAllBytesAsync(Path.Combine(lib.ArtsDirPath!, "lib.tar")));
        }
        else
        {
            Assert.Contains($"artifact '{Lib}@lib.tar': Signature Validation failed: its cosign signature does not match the file", lib.ErrMsg);
            Assert.Null(lib.ArtsDirPath);
        }
    }

    [Fact]
    public async Task ReportsUnreachableDuringAWholeDelivery_WaitInTheOutboxAcrossARestart_AndArriveInOrder()
    {
        await using var server = WithPushedAppAndLib(await GetAppServerDouble.StartAsync());
        server.ReportsUnreachable = true;
        using var data = new TempDirectory("getapp-data");
        var agent = await server.StartAgentAsync(dataDir: data.Path);
        try
        {
            await agent.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
            Assert.Empty(server.DeliveryReports);
            Assert.Empty(server.DeployReports);

            agent = await agent.RestartAsync();
            var device = await ReportsPendingAsync(agent);
            Assert.True(device > 6, $"expected the whole delivery's reports to be waiting, found {device}");

            server.ReportsUnreachable = false;
            await AssertEveryReportArrivesInOrderAsync(server);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task ServerDownFromPreparationToInstall_AndAgentRestarted_EveryReportArrivesInOrderWhenItReturns()
    {
        // The dependency's payload sits on a separate, throttled object store, so the delivery outlasts the server.
        await using var origin = await TestOrigin.StartAsync();
        var payload = origin.AddFile("lib.bin", 3 * 1024 * 1024);
        payload.Faults.ThrottleBytesPerSecond = 2 * 1024 * 1024;
        await using var server = await GetAppServerDouble.StartAsync();
        server
            .AddRelease(App, isPush: true, files: new Dictionary<string, byte[]> { ["install.sh"] = "#!/bin/sh\necho ok\n"u8.ToArray() },
                executable: "install.sh", metadata: new JsonObject { ["autoDeploy"] = true })
            .AddRelease(Lib, dependedOnBy: [App], rawArtifacts:
            [
                new JsonObject
                {
                    ["itemKey"] = $"{Lib}@lib.bin", ["url"] = payload.Url.ToString(), ["size"] = payload.Size, ["artifactType"] = "software",
                    ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = payload.Sha256Hex },
                    ["signature"] = server.SignDigest(payload.Sha256),
                },
            ]);
        using var data = new TempDirectory("getapp-data");
        var agent = await server.StartAgentAsync(dataDir: data.Path);
        try
        {
            // Down as soon as both releases are prepared: the download, the install and a restart happen without it.
            await server.WaitForAsync(s => s.Received.Count(r => r.Path.EndsWith("prepareDelivery", StringComparison.Ordinal) && r.Status is >= 200 and < 300) >= 2, "both preparations");
            server.ApiUnreachable = true;
            var acceptedBefore = server.DeliveryReports.Count;

            await agent.WaitForAsync(App, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
            // The dependency follows its root a moment later (a move of its own): wait for it rather than read it once.
            Assert.Equal(ReleaseState.Installed, (await agent.WaitForAsync(Lib, s => s.State == ReleaseState.Installed || s.DeviceReleaseStatus == "Error")).State);
            Assert.Equal(acceptedBefore, server.DeliveryReports.Count);
            Assert.Empty(server.DeployReports);

            agent = await agent.RestartAsync();
            Assert.True(await ReportsPendingAsync(agent) > 6);

            server.ApiUnreachable = false;
            await AssertEveryReportArrivesInOrderAsync(server);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    /// <summary>Once the server is back: both releases' delivery and deploy reports, complete, in order, none ignored.</summary>
    private static async Task AssertEveryReportArrivesInOrderAsync(GetAppServerDouble server)
    {
        await server.WaitForAsync(s => Statuses(s.DeployReports, App, "deployStatus").LastOrDefault() == "Done"
            && Statuses(s.DeployReports, Lib, "deployStatus").LastOrDefault() == "Done", "the queued reports after the server returned", TimeSpan.FromSeconds(30));
        AssertDeliveryReports(server, Lib);
        AssertDeliveryReports(server, App);
        AssertDeployReports(server, App);
        AssertDeployReports(server, Lib);
        Assert.Empty(server.IgnoredReports);
        AssertIncreasingCurrentTime(server);
    }

    private static async Task<int> ReportsPendingAsync(TestAgent agent)
    {
        var device = await Reporting.ReportOutboxTests.WaitForDeviceAsync(agent, d => d["upstream"]?["outbox"]?["pending"]?.GetValue<int>() > 0);
        return device["upstream"]!["outbox"]!["pending"]!.GetValue<int>();
    }

    /// <summary>Start, then only Download progress, then Done once — with the release's bytes in the last one.</summary>
    private static void AssertDeliveryReports(GetAppServerDouble server, string catalogId)
    {
        var statuses = Statuses(server.DeliveryReports, catalogId, "deliveryStatus");
        Assert.True(statuses.Length >= 2, $"{catalogId}: {string.Join(",", statuses)}");
        Assert.Equal("Start", statuses[0]);
        Assert.Equal("Done", statuses[^1]);
        Assert.All(statuses[1..^1], s => Assert.Equal("Download", s));
        var done = server.DeliveryReports.Single(r => Is(r, catalogId, "deliveryStatus", "Done"));
        Assert.Equal(100, done["downloadData"]!.GetValue<double>());
        Assert.NotNull(done["downloadDone"]);
        Assert.Equal("software", done["type"]!.GetValue<string>());
    }

    /// <summary>Start, then only Installing, then Done once.</summary>
    private static void AssertDeployReports(GetAppServerDouble server, string catalogId)
    {
        var statuses = Statuses(server.DeployReports, catalogId, "deployStatus");
        Assert.True(statuses.Length >= 2, $"{catalogId}: {string.Join(",", statuses)}");
        Assert.Equal("Start", statuses[0]);
        Assert.Equal("Done", statuses[^1]);
        Assert.All(statuses[1..^1], s => Assert.Equal("Installing", s));
    }
}
