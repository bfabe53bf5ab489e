using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ReleaseMoves;

namespace GetApp.Agent.IntegrationTests.Api;

/// <summary>
/// <c>GET /api/v2/device/releases/{catalog_id}</c> (the seed page) and the list: every field, for a release in each
/// state of the lifecycle, checked against the JSON Schema in docs/contracts and value by value.
/// </summary>
public sealed class DeviceReleasesApiTests : IAsyncLifetime
{
    private const string App = "7.demo-app@1.0.0";
    private const string Lib = "12.demo-lib@2.1.0";
    private readonly TestCatalog _catalog = new();
    private TestAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _catalog
            .Add(App, files: new Dictionary<string, byte[]> { ["install.sh"] = "#!/bin/sh\necho ok\n"u8.ToArray() }, executable: "install.sh",
                metadata: new JsonObject { ["autoDeploy"] = false, ["totalSize"] = 100 })
            .Add(Lib, dependedOnBy: [App], files: new Dictionary<string, byte[]> { ["lib.tar"] = new byte[10] })
            .Write();
        _agent = await TestAgent.StartAsync(_catalog.Path);
        await _agent.Get<DiscoveryService>().DiscoverAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _catalog.Dispose();
    }

    private static readonly (ReleaseAction, ReleaseChange?)[] ToDownloaded =
    [
        Do(ReleaseAction.StartDelivery), Do(ReleaseAction.BeginDownload), Do(ReleaseAction.BeginValidation),
        Do(ReleaseAction.CompleteDelivery, new ReleaseChange { ArtsDirPath = "/data/comps/7.demo-app@1.0.0", DownloadDuration = 12 }),
    ];

    public static TheoryData<string> States() =>
    [
        "delivery/prepare", "delivery/download", "delivery/validation", "delivery/pause", "delivery/cancel", "delivery/error",
        "downloaded", "deploy/start", "deploy/installing", "deploy/error", "installed", "uninstalled", "deleted",
    ];

    /// <summary>How to reach each state, and what the endpoint must then say (state, deliveryState, deviceReleaseStatus, progress, errMsg?, artsDirPath?).</summary>
    private static ((ReleaseAction, ReleaseChange?)[] Moves, string State, string? DeliveryState, string? Status, double? Progress, bool HasError, bool HasArts) Scenario(string name) => name switch
    {
        "delivery/prepare" => ([Do(ReleaseAction.StartDelivery)], "delivery", "prepare", "Start", 0, false, false),
        "delivery/download" => ([Do(ReleaseAction.StartDelivery), Do(ReleaseAction.BeginDownload, new ReleaseChange { Progress = 42.5, Eta = 7 })], "delivery", "download", "InProgress", 42.5, false, false),
        "delivery/validation" => ([Do(ReleaseAction.StartDelivery), Do(ReleaseAction.BeginDownload), Do(ReleaseAction.BeginValidation, new ReleaseChange { Progress = 100 })], "delivery", "validation", "InProgress", 100, false, false),
        "delivery/pause" => ([Do(ReleaseAction.StartDelivery), Do(ReleaseAction.BeginDownload, new ReleaseChange { Progress = 30 }), Do(ReleaseAction.PauseDelivery)], "delivery", "download", "Pause", 30, false, false),
        "delivery/cancel" => ([Do(ReleaseAction.StartDelivery), Do(ReleaseAction.CancelDelivery)], "delivery", "prepare", "Cancel", 0, false, false),
        "delivery/error" => ([Do(ReleaseAction.StartDelivery), Do(ReleaseAction.FailDelivery, new ReleaseChange { ErrMsg = "hash mismatch" })], "delivery", "prepare", "Error", 0, true, false),
        "downloaded" => (ToDownloaded, "downloaded", "done", "Done", 100, false, true),
        "deploy/start" => ([.. ToDownloaded, Do(ReleaseAction.StartDeploy)], "deploy", "done", "Start", 0, false, true),
        "deploy/installing" => ([.. ToDownloaded, Do(ReleaseAction.StartDeploy), Do(ReleaseAction.ReportInstalling, new ReleaseChange { Progress = 60 })], "deploy", "done", "Installing", 60, false, true),
        "deploy/error" => ([.. ToDownloaded, Do(ReleaseAction.StartDeploy), Do(ReleaseAction.FailDeploy, new ReleaseChange { ErrMsg = "exit code 3" })], "deploy", "done", "Error", 0, true, true),
        "installed" => ([.. ToDownloaded, Do(ReleaseAction.StartDeploy), Do(ReleaseAction.CompleteDeploy)], "installed", "done", "Done", 100, false, true),
        "uninstalled" => ([.. ToDownloaded, Do(ReleaseAction.StartDeploy), Do(ReleaseAction.CompleteDeploy), Do(ReleaseAction.Uninstall)], "uninstalled", "done", "Uninstall", null, false, true),
        "deleted" => ([.. ToDownloaded, Do(ReleaseAction.DeleteDelivery)], "deleted", null, null, null, false, false),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(States))]
    public async Task GetReleaseStatus_InEachState_MatchesTheContractFieldByField(string stateName)
    {
        var scenario = Scenario(stateName);
        await _agent.MoveAsync(App, scenario.Moves);

        var json = await HttpAssert.JsonAsync(await _agent.Client.GetAsync($"/api/v2/device/releases/{App}"));

        ContractSchema.AssertValidStatus(json);
        Assert.Equal(
            ["artsDirPath", "deliveryState", "deviceReleaseStatus", "downloadDuration", "errMsg", "eta", "progress", "release", "state"],
            json.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(scenario.State, json.GetProperty("state").GetString());
        Assert.Equal(scenario.DeliveryState, json.GetProperty("deliveryState").GetString());
        Assert.Equal(scenario.Status, json.GetProperty("deviceReleaseStatus").GetString());
        Assert.Equal(scenario.Progress, json.GetProperty("progress").ValueKind == JsonValueKind.Null ? null : json.GetProperty("progress").GetDouble());
        Assert.Equal(scenario.HasError, json.GetProperty("errMsg").ValueKind == JsonValueKind.String);
        Assert.Equal(scenario.HasArts, json.GetProperty("artsDirPath").ValueKind == JsonValueKind.String);
        AssertRelease(json.GetProperty("release"));
    }

    [Fact]
    public async Task GetReleaseStatus_WhileDownloading_ShowsEtaAndDurationOnceDelivered()
    {
        await _agent.MoveAsync(App, Do(ReleaseAction.StartDelivery), Do(ReleaseAction.BeginDownload, new ReleaseChange { Progress = 10, Eta = 90 }));
        var downloading = await HttpAssert.JsonAsync(await _agent.Client.GetAsync($"/api/v2/device/releases/{App}"));
        Assert.Equal(90, downloading.GetProperty("eta").GetInt64());
        Assert.Equal(JsonValueKind.Null, downloading.GetProperty("downloadDuration").ValueKind);

        await _agent.MoveAsync(App, Do(ReleaseAction.BeginValidation),
            Do(ReleaseAction.CompleteDelivery, new ReleaseChange { ArtsDirPath = "/data/comps/x", DownloadDuration = 12 }));
        var done = await HttpAssert.JsonAsync(await _agent.Client.GetAsync($"/api/v2/device/releases/{App}"));
        Assert.Equal(12, done.GetProperty("downloadDuration").GetInt32());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("eta").ValueKind);
        Assert.Equal("/data/comps/x", done.GetProperty("artsDirPath").GetString());
    }

    private static void AssertRelease(JsonElement release)
    {
        Assert.Equal(App, release.GetProperty("id").GetString());
        Assert.Equal("1.0.0", release.GetProperty("version").GetString());
        Assert.Equal(7, release.GetProperty("projectId").GetInt32());
        Assert.Equal("demo-app", release.GetProperty("projectName").GetString());
        Assert.Equal("demo-app", release.GetProperty("displayName").GetString());
        Assert.Equal("released", release.GetProperty("status").GetString());
        Assert.Equal("product", release.GetProperty("type").GetString());
        Assert.Equal("2026-01-01T00:00:00.000Z", release.GetProperty("createdAt").GetString());
        Assert.Equal("2026-01-02T00:00:00.000Z", release.GetProperty("updatedAt").GetString());
        Assert.Equal([Lib], release.GetProperty("dependencies").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(100, release.GetProperty("metadata").GetProperty("totalSize").GetInt32());
        foreach (var nullable in new[] { "label", "latest", "policies", "releaseNotes", "releasedAt", "size" })
        {
            Assert.Equal(JsonValueKind.Null, release.GetProperty(nullable).ValueKind);
        }
    }

    [Fact]
    public async Task GetReleaseStatus_UnknownId_Is404AppError()
    {
        var error = await HttpAssert.AppErrorAsync(await _agent.Client.GetAsync("/api/v2/device/releases/99.nope@1.0.0"), HttpStatusCode.NotFound);
        Assert.Equal("NotFound", error.GetProperty("name").GetString());
        Assert.Contains("99.nope@1.0.0", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task GetReleaseStatus_ReleaseStillOffered_Is404AppError()
    {
        var error = await HttpAssert.AppErrorAsync(await _agent.Client.GetAsync($"/api/v2/device/releases/{App}"), HttpStatusCode.NotFound);
        Assert.Contains("only offered (offering)", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ListReleases_ReturnsOnlyDeliveredOrLater_OrderedByCatalogId()
    {
        Assert.Equal(0, (await HttpAssert.JsonAsync(await _agent.Client.GetAsync("/api/v2/device/releases"))).GetArrayLength());

        await _agent.MoveAsync(App, Do(ReleaseAction.StartDelivery));
        await _agent.MoveAsync(Lib, ToDownloaded);

        var list = await HttpAssert.JsonAsync(await _agent.Client.GetAsync("/api/v2/device/releases"));
        Assert.Equal([Lib, App], list.EnumerateArray().Select(r => r.GetProperty("release").GetProperty("id").GetString()));
        foreach (var item in list.EnumerateArray())
        {
            ContractSchema.AssertValidStatus(item);
        }
    }

    [Fact]
    public async Task GetReleaseStatus_AfterRestartOnSameDataDir_IsUnchanged()
    {
        await _agent.MoveAsync(App, [.. ToDownloaded, Do(ReleaseAction.StartDeploy), Do(ReleaseAction.FailDeploy, new ReleaseChange { ErrMsg = "exit code 3" })]);
        var before = (await _agent.Client.GetStringAsync($"/api/v2/device/releases/{App}"));

        _agent = await _agent.RestartAsync();

        Assert.Equal(before, await _agent.Client.GetStringAsync($"/api/v2/device/releases/{App}"));
        Assert.Contains("exit code 3", before);
    }

    [Theory]
    [InlineData("/api/v2/device/releases/a/b", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/device/releases/a%2Fb", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/device/releases/..%2F..%2Fetc%2Fpasswd", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/device/releases/%2e%2e%2fsecret", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/device/releases/a..b", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/device/releases/%E2%9C%93.%D7%90@1.0", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/device/releases/a%20b", HttpStatusCode.BadRequest)]
    [InlineData("/api/v2/device/releases/a%09b", HttpStatusCode.BadRequest)]
    [InlineData("/api/v2/device/releases/", HttpStatusCode.BadRequest)]
    public async Task GetReleaseStatus_HostileIds_Are4xxAppErrorAndWriteNothing(string path, HttpStatusCode expected)
    {
        var before = Snapshot();

        await HttpAssert.AppErrorAsync(await _agent.Client.GetAsync(path), expected);

        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task GetReleaseStatus_TenThousandCharacterId_Is400AppError()
    {
        var error = await HttpAssert.AppErrorAsync(await _agent.Client.GetAsync("/api/v2/device/releases/" + new string('a', 10_000)), HttpStatusCode.BadRequest);
        Assert.Contains("longer than 256", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task GetReleaseStatus_NullByte_IsRefusedByTheServerAndTheAgentKeepsAnswering()
    {
        // Kestrel refuses a decoded NUL in the path at the protocol level, before any application code runs, so this
        // one 4xx carries no AppError body (documented in docs/api.md); what matters is that nothing else happens.
        var before = Snapshot();
        using var client = new HttpClient { BaseAddress = _agent.BaseAddress };

        var response = await client.GetAsync("/api/v2/device/releases/a%00b");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, Snapshot());
        Assert.Equal(HttpStatusCode.OK, (await _agent.Client.GetAsync("/api/v2/device/releases")).StatusCode);
    }

    /// <summary>Every file under the data dir's parent folder: hostile requests must not create any.</summary>
    private string Snapshot()
    {
        var root = Path.GetDirectoryName(_agent.DataDir)!;
        return string.Join("\n", Directory.EnumerateFileSystemEntries(_agent.DataDir, "*", SearchOption.AllDirectories)
            // The WAL and the full-disk reserve (made in the background after start) are the agent's own housekeeping.
            .Where(p => !p.EndsWith("-wal", StringComparison.Ordinal) && !p.EndsWith("-shm", StringComparison.Ordinal)
                && !Path.GetFileName(p).StartsWith("space.reserve", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFileSystemEntries(root).Where(p => p.Contains("..", StringComparison.Ordinal) || p.EndsWith("passwd", StringComparison.Ordinal)))
            .Order());
    }
}
