using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>A site on loopback, in process: a parent agent on a GetApp server double (or on nothing), and children pointed at it.</summary>
internal static class ParentKit
{
    /// <summary>Short relay and eviction timings, so tests see the fall-back and the LRU at once.</summary>
    public static ParentOptions Fast { get; } = new()
    {
        RelayTimeout = TimeSpan.FromSeconds(3),
        RelayQuietAfterFailure = TimeSpan.FromSeconds(1),
        EvictionGrace = TimeSpan.Zero,
    };

    /// <summary>Starts a parent on the double and waits for its first discovery, so what the double offers later is for children only.</summary>
    public static async Task<TestAgent> StartParentAsync(GetAppServerDouble server, string deviceId = "parent-1", string? dataDir = null, Action<IServiceCollection>? more = null)
    {
        var parent = await TestAgent.StartAsync(dataDir: dataDir, configure: o => server.Configure(o),
            configureServices: GetAppServerDouble.AgentServices(deviceId, s =>
            {
                s.AddSingleton(Fast);
                more?.Invoke(s);
            }));
        var discovery = parent.Get<Core.Discovery.DiscoveryService>();
        await EventuallyAsync(() => Task.FromResult(discovery.LastOutcome is not null), "the parent's first discovery");
        return parent;
    }

    /// <summary>A parent with no upstream at all (or an offline catalog).</summary>
    public static Task<TestAgent> StartDetachedParentAsync(string deviceId = "parent-1", string? catalogDir = null, Func<Core.Hosting.AgentOptions, Core.Hosting.AgentOptions>? configure = null) =>
        TestAgent.StartAsync(catalogDir: catalogDir, configure: configure,
            configureServices: services =>
            {
                services.AddSingleton(new Core.Device.DeviceSeed { DeviceId = deviceId, DeviceTypes = ["agent_linux"], MachineIdPath = "/nonexistent" });
                services.AddSingleton(Fast);
            });

    public static Task<TestAgent> StartChildAsync(TestAgent parent, string deviceId, string? secret = null) =>
        TestAgent.StartAsync(configure: o => o with { UpstreamUrls = [parent.BaseAddress.ToString().TrimEnd('/')], DeviceSecret = secret },
            configureServices: GetAppServerDouble.AgentServices(deviceId));

    public static Dictionary<string, byte[]> Files(string name, int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return new Dictionary<string, byte[]> { [name] = bytes };
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The artifact downloads the double served for a release (its own /files route).</summary>
    public static List<ReceivedRequest> FileRequests(GetAppServerDouble server, string catalogId) =>
        server.Received.Where(r => r.Path.StartsWith("/files/", StringComparison.Ordinal)
            && (r.Path.Contains(catalogId, StringComparison.Ordinal) || r.Path.Contains(Uri.EscapeDataString(catalogId), StringComparison.Ordinal))).ToList();

    /// <summary>A child's prepareDelivery, as a GetApp client sends it.</summary>
    public static Task<HttpResponseMessage> PrepareAsync(HttpClient client, string catalogId, string deviceId = "child-x", string query = "") =>
        client.PostAsJsonAsync("/api/v2/delivery/prepareDelivery" + query, new JsonObject { ["catalogId"] = catalogId, ["deviceId"] = deviceId, ["itemType"] = "software" });

    /// <summary>Prepares until the parent answers done (it may fetch first); returns the answer.</summary>
    public static async Task<JsonObject> PrepareUntilDoneAsync(HttpClient client, string catalogId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        using var first = await PrepareAsync(client, catalogId);
        var answer = JsonNode.Parse(await first.Content.ReadAsStringAsync())!.AsObject();
        while (answer["status"]!.GetValue<string>() is "start" or "inProgress")
        {
            Assert.True(DateTime.UtcNow < deadline, $"still {answer.ToJsonString()}");
            await Task.Delay(100);
            answer = JsonNode.Parse(await client.GetStringAsync($"/api/v2/delivery/preparedDelivery/{Uri.EscapeDataString(catalogId)}"))!.AsObject();
        }

        Assert.True(answer["status"]!.GetValue<string>() == "done", answer.ToJsonString());
        return answer;
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"never: {what}{(describe is null ? "" : "; " + await describe())}");
            }

            await Task.Delay(100);
        }
    }
}
