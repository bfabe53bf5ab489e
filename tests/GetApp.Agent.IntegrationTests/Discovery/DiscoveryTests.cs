using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.ReleaseMoves;

namespace GetApp.Agent.IntegrationTests.Discovery;

/// <summary>Discovery from an offline catalog: the V2 answer, the offering view, and what a new discovery may and may not change.</summary>
public sealed class DiscoveryTests : IAsyncLifetime
{
    private readonly TestCatalog _catalog = new();
    private TestAgent _agent = null!;

    public async Task InitializeAsync()
    {
        // Offers only: a pushed release is taken into delivery by the engine at once (see Trigger_AnswersTheV2DiscoveryShape).
        _catalog
            .Add("7.app@1.0.0", files: new Dictionary<string, byte[]> { ["a.bin"] = [1, 2, 3] })
            .Add("8.lib@2.0.0", dependedOnBy: ["7.app@1.0.0"], files: new Dictionary<string, byte[]> { ["l.bin"] = [4] })
            .Add("9.base@3.0.0", dependedOnBy: ["8.lib@2.0.0"])
            .Write();
        _agent = await TestAgent.StartAsync(_catalog.Path);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _catalog.Dispose();
    }

    private Task<HttpResponseMessage> TriggerAsync() => _agent.Client.PostAsync("/api/v2/triggers/discover-component", null);

    [Fact]
    public async Task Trigger_AnswersTheV2DiscoveryShape()
    {
        using var catalog = new TestCatalog();
        catalog.Add("7.app@1.0.0", isPush: true).Add("8.lib@2.0.0", dependedOnBy: ["7.app@1.0.0"]).Add("9.base@3.0.0", dependedOnBy: ["8.lib@2.0.0"]).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);

        var json = await HttpAssert.JsonAsync(await agent.Client.PostAsync("/api/v2/triggers/discover-component", null));

        Assert.Equal(["offer", "push", "releases"], json.EnumerateObject().Select(p => p.Name));
        var releases = json.GetProperty("releases").EnumerateArray().ToList();
        Assert.Equal(["7.app@1.0.0", "8.lib@2.0.0", "9.base@3.0.0"], releases.Select(r => r.GetProperty("release").GetProperty("id").GetString()));
        Assert.True(releases[0].GetProperty("isPush").GetBoolean());
        Assert.False(releases[1].GetProperty("isPush").GetBoolean());
        Assert.All(releases, r => Assert.Equal(JsonValueKind.Array, r.GetProperty("hierarchyTrees").ValueKind));
        Assert.Equal(["7.app@1.0.0"], json.GetProperty("push").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["8.lib@2.0.0", "9.base@3.0.0"], json.GetProperty("offer").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Offering_ListsOffersWithStateAndDependencies()
    {
        await TriggerAsync();

        var offering = await HttpAssert.JsonAsync(await _agent.Client.GetAsync("/api/v2/device/offering"));

        var byId = offering.EnumerateArray().ToDictionary(o => o.GetProperty("release").GetProperty("id").GetString()!);
        Assert.Equal("offering", byId["7.app@1.0.0"].GetProperty("state").GetString());
        Assert.False(byId["7.app@1.0.0"].GetProperty("isPush").GetBoolean());
        Assert.Equal(["8.lib@2.0.0"], byId["7.app@1.0.0"].GetProperty("dependencies").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("offering", byId["8.lib@2.0.0"].GetProperty("state").GetString());
        Assert.Equal(["9.base@3.0.0"], byId["8.lib@2.0.0"].GetProperty("dependencies").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task Trigger_BrokenCatalog_IsRejectedNamingTheProblem_AndKnownReleasesStay()
    {
        await TriggerAsync();
        var before = await _agent.Client.GetStringAsync("/api/v2/device/offering");

        _catalog.WriteRaw("""{ "releases": [ { "release": { "id": "1.x@1", "version": "1", "projectId": 1, "projectName": "x" }, "artifacts": [ { "itemKey": "k", "url": "../../etc/passwd", "size": 1, "hash": { "algorithm": "SHA256Hex", "hash": "00" } } ] } ] }""");
        var error = await HttpAssert.AppErrorAsync(await TriggerAsync(), HttpStatusCode.BadGateway);

        Assert.Equal("InvalidCatalog", error.GetProperty("name").GetString());
        Assert.Contains("catalog.json", error.GetProperty("message").GetString());
        Assert.Contains("release '1.x@1'", error.GetProperty("message").GetString());
        Assert.Equal(before, await _agent.Client.GetStringAsync("/api/v2/device/offering"));
    }

    [Theory]
    [InlineData("{ \"releases\": [ ")]
    [InlineData("""{ "releases": [ { "release": { "id": "1.x@1", "version": "1", "projectId": 1, "projectName": "x" }, "dependedOnBy": ["1.x@1"] } ] }""")]
    [InlineData("""{ "releases": [ { "release": { "id": "1.x@1", "version": "1", "projectId": 1, "projectName": "x" } }, { "release": { "id": "1.x@1", "version": "1", "projectId": 1, "projectName": "x" } } ] }""")]
    public async Task Trigger_InvalidJsonCycleOrDuplicate_IsRejectedAndChangesNothing(string catalogJson)
    {
        await TriggerAsync();
        var before = await _agent.Client.GetStringAsync("/api/v2/device/offering");

        _catalog.WriteRaw(catalogJson);

        await HttpAssert.AppErrorAsync(await TriggerAsync(), HttpStatusCode.BadGateway);
        Assert.Equal(before, await _agent.Client.GetStringAsync("/api/v2/device/offering"));
    }

    [Fact]
    public async Task Trigger_ReleaseInDeliveryOrLater_IsNeverReset_AndVanishedOffersAreDropped()
    {
        await TriggerAsync();
        await _agent.MoveAsync("8.lib@2.0.0", Do(ReleaseAction.StartDelivery), Do(ReleaseAction.BeginDownload, new ReleaseChange { Progress = 40 }));

        // The next catalog no longer has 8.lib or 9.base, and now pushes 8.lib's old dependency differently.
        using var next = new TestCatalog();
        _catalog.WriteRaw(File.ReadAllText(Path.Combine(_catalog.Path, "catalog.json"))
            .Replace("\"9.base@3.0.0\"", "\"9.gone@3.0.0\"", StringComparison.Ordinal));
        var answer = await HttpAssert.JsonAsync(await TriggerAsync());
        Assert.Contains(answer.GetProperty("releases").EnumerateArray(), r => r.GetProperty("release").GetProperty("id").GetString() == "9.gone@3.0.0");

        var lib = await HttpAssert.JsonAsync(await _agent.Client.GetAsync("/api/v2/device/releases/8.lib@2.0.0"));
        Assert.Equal("delivery", lib.GetProperty("state").GetString());
        Assert.Equal(40, lib.GetProperty("progress").GetDouble());
        var offering = await _agent.Client.GetStringAsync("/api/v2/device/offering");
        Assert.DoesNotContain("9.base@3.0.0", offering);
        Assert.Contains("9.gone@3.0.0", offering);
    }

    [Fact]
    public async Task Trigger_AvailableFalse_IsNotOffered()
    {
        var entry = new JsonObject { ["release"] = TestCatalog.Release("5.hidden@1.0.0"), ["isPush"] = false, ["available"] = false };
        using var catalog = new TestCatalog();
        catalog.AddRaw(entry).Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);

        var json = await HttpAssert.JsonAsync(await agent.Client.PostAsync("/api/v2/triggers/discover-component", null));

        Assert.Equal(0, json.GetProperty("releases").GetArrayLength());
    }

    [Fact]
    public async Task Trigger_UpstreamFaultThatIsABug_Is500AppErrorWithoutStackTrace()
    {
        await using var agent = await TestAgent.StartAsync(configureServices: s =>
            s.AddSingleton<GetApp.Agent.Core.Upstream.IUpstream>(new ThrowingUpstream()));

        var error = await HttpAssert.AppErrorAsync(await agent.Client.PostAsync("/api/v2/triggers/discover-component", null), HttpStatusCode.InternalServerError);

        Assert.Equal("InternalServerError", error.GetProperty("name").GetString());
        Assert.DoesNotContain("boom", error.GetProperty("message").GetString());
    }

    private sealed class ThrowingUpstream : GetApp.Agent.Core.Upstream.IUpstream
    {
        public string Description => "throwing";
        public Task<GetApp.Agent.Core.Upstream.DiscoveryAnswer> DiscoverAsync(GetApp.Agent.Core.Upstream.DiscoveryRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom: secret internals");
        public Task<GetApp.Agent.Core.Upstream.PreparedDelivery> PrepareDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }
}
