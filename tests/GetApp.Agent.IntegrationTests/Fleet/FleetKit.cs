using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Fleet;

/// <summary>A site of real agent processes for fleet control: a parent on a GetApp server double, children that ask to be managed.</summary>
internal static class FleetKit
{
    public const string Secret = "fleet-secret";
    public const string SitePlatform = "site-a";

    public static Task<AgentProcess> StartParentAsync(string dataDir, string upstream, string deviceId = "parent-1", string url = "http://127.0.0.1:0") =>
        AgentProcess.StartAsync(dataDir, ["--upstream", upstream, "--device-secret", Secret], new Dictionary<string, string>
        {
            ["DEVICE_ID"] = deviceId,
            ["DEVICE_TYPE_TOKEN"] = "agent_linux",
            ["PLATFORM_TYPE_TOKEN"] = SitePlatform,
            ["PLATFORM_TYPE_ID"] = "SITE-1",
        }, url: url);

    /// <summary>A child whose upstream is <paramref name="parentUrl"/>, with its own platform until it adopts its parent's.</summary>
    public static Task<AgentProcess> StartChildAsync(string dataDir, string parentUrl, string deviceId, bool orchestrateMe, bool reactiveMode) =>
        AgentProcess.StartAsync(dataDir, ["--upstream", parentUrl, "--device-secret", Secret], new Dictionary<string, string>
        {
            ["DEVICE_ID"] = deviceId,
            ["DEVICE_TYPE_TOKEN"] = "agent_linux",
            ["PLATFORM_TYPE_TOKEN"] = "own-" + deviceId,
            ["ORCHESTRATE_ME"] = orchestrateMe ? "true" : "false",
            ["REACTIVE_MODE"] = reactiveMode ? "true" : "false",
        });

    /// <summary>
    /// A child agent in process (real Kestrel, real HTTP to its parent) whose upstream is <paramref name="upstream"/> (the
    /// parent, or a relay in front of it), asking to be managed as the flags say; it reconnects within 2 s.
    /// </summary>
    public static Task<TestAgent> StartChildInProcessAsync(string upstream, string deviceId, bool orchestrateMe = false, bool reactiveMode = false) =>
        TestAgent.StartAsync(
            configure: o => o with
            {
                UpstreamUrls = [upstream.TrimEnd('/')],
                SettingDefaults = new Dictionary<string, bool> { ["orchestrateMe"] = orchestrateMe, ["reactiveMode"] = reactiveMode },
            },
            configureServices: GetAppServerDouble.AgentServices(deviceId, s => s.AddSingleton(new FleetOptions { ReconnectMax = TimeSpan.FromSeconds(2) })));

    public static string Url(AgentProcess agent) => agent.BaseAddress.ToString().TrimEnd('/');

    public static async Task<JsonArray> ArrayAsync(HttpClient client, string path) =>
        JsonNode.Parse(await client.GetStringAsync(path))!.AsArray();

    public static async Task<JsonObject> ObjectAsync(HttpClient client, string path) =>
        JsonNode.Parse(await client.GetStringAsync(path))!.AsObject();

    /// <summary>Posts JSON; returns the status and the parsed answer.</summary>
    public static async Task<(int Status, JsonNode? Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    /// <summary>The parent's entry for each child (GET /api/cdn/device?filter=all), by id.</summary>
    public static async Task<Dictionary<string, JsonObject>> DevicesAsync(HttpClient parent, string query = "filter=all") =>
        (await ArrayAsync(parent, "/api/cdn/device?" + query)).Select(d => d!.AsObject())
            .Where(d => !d["isSelf"]!.GetValue<bool>()).ToDictionary(d => d["deviceId"]!.GetValue<string>());

    public static async Task<JsonObject> CommandAsync(HttpClient parent, string commandId) =>
        await ObjectAsync(parent, "/api/cdn/devices/commands/" + commandId);

    /// <summary>Waits for a command to reach one of <paramref name="statuses"/>; returns it.</summary>
    public static async Task<JsonObject> WaitForCommandAsync(HttpClient parent, string commandId, string[] statuses, TimeSpan timeout, Func<string>? context = null)
    {
        JsonObject? last = null;
        await Parent.ParentKit.EventuallyAsync(async () =>
        {
            last = await CommandAsync(parent, commandId);
            return statuses.Contains(last["status"]!.GetValue<string>());
        }, $"command {commandId} {string.Join("/", statuses)}", timeout, () => Task.FromResult($"{last?.ToJsonString()}\n{context?.Invoke()}"));
        return last!;
    }

    /// <summary>Polls a release on an agent until <paramref name="until"/> holds (fails at once on an error).</summary>
    public static async Task<DeviceReleaseStatusDto> WaitForReleaseAsync(AgentProcess agent, string catalogId, Func<DeviceReleaseStatusDto, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        DeviceReleaseStatusDto? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(catalogId)}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.DeviceReleaseStatusDto);
                if (last is not null && until(last))
                {
                    return last;
                }

                Assert.False(last?.DeviceReleaseStatus == "Error", $"{catalogId} failed: {last?.ErrMsg}\n{agent.Output}");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{catalogId}: last seen {last?.State}/{last?.DeviceReleaseStatus} {last?.Progress}% {last?.ErrMsg}\n{agent.Output}");
    }
}
