using System.Net.Http.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>The sample catalog's pushed release, which an agent delivers and installs on its own (with its dependency).</summary>
internal static class SampleRelease
{
    public const string Id = "7.demo-app@1.0.0";

    /// <summary>Asks the seed endpoint until the release is installed; fails with what it last said and the agent's output.</summary>
    public static async Task<DeviceReleaseStatusDto> WaitInstalledAsync(AgentProcess agent, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        DeviceReleaseStatusDto? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(Id)}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.DeviceReleaseStatusDto);
                if (last?.State == ReleaseState.Installed)
                {
                    return last;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Id} is not installed: last seen {last?.State}/{last?.DeviceReleaseStatus} {last?.ErrMsg}\n{agent.Output}");
    }
}
