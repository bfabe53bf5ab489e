using System.Net.Http.Json;
using System.Text;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Deploy;

/// <summary>Small helpers shared by the deploy tests: installer scripts, deploy API calls, process checks.</summary>
internal static class DeployTestKit
{
    public static byte[] Script(string body) => Encoding.UTF8.GetBytes("#!/bin/sh\n" + body.ReplaceLineEndings("\n") + "\n");

    public static Dictionary<string, byte[]> Installer(string body) => new() { ["install.sh"] = Script(body) };

    public static string ArtsDir(TestAgent agent, string catalogId) => agent.Get<DataDirectory>().ArtifactsDirOf(catalogId);

    public static Task<HttpResponseMessage> StartAsync(TestAgent agent, string catalogId) =>
        agent.Client.PostAsync($"/api/v2/deploy/start/{Uri.EscapeDataString(catalogId)}", null);

    public static Task<HttpResponseMessage> UninstallAsync(TestAgent agent, string catalogId) =>
        agent.Client.PostAsync($"/api/v2/deploy/uninstall/{Uri.EscapeDataString(catalogId)}", null);

    public static Task<HttpResponseMessage> ReportAsync(TestAgent agent, string catalogId, string json) =>
        agent.Client.PutAsync($"/api/v2/deploy/{Uri.EscapeDataString(catalogId)}", new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task SetConfigAsync(TestAgent agent, string json)
    {
        var response = await agent.Client.PutAsync("/api/v2/agent/configs", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<DeployDto> GetDeployAsync(TestAgent agent, string catalogId)
    {
        var response = await agent.Client.GetAsync($"/api/v2/deploy/{Uri.EscapeDataString(catalogId)}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.DeployDto))!;
    }

    public static async Task<AppError> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.AppError))!;

    public static Task<DeviceReleaseStatusDto> WaitInstalledAsync(TestAgent agent, string catalogId, TimeSpan? timeout = null) =>
        agent.WaitForAsync(catalogId, s => s.State == Core.Releases.ReleaseState.Installed, timeout);

    public static Task<DeviceReleaseStatusDto> WaitDeployErrorAsync(TestAgent agent, string catalogId, TimeSpan? timeout = null) =>
        agent.WaitForAsync(catalogId, s => s.State == Core.Releases.ReleaseState.Deploy && s.DeviceReleaseStatus == "Error", timeout);

    public static Task WhenIdleAsync(TestAgent agent) => agent.Get<DeployEngine>().WhenIdleAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>True while the process runs (a zombie waiting to be reaped counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Reads "name pid" lines a script wrote, once the file holds <paramref name="count"/> of them.</summary>
    public static async Task<int[]> ReadPidsAsync(string file, int count)
    {
        int[] pids = [];
        await WaitUntilAsync(() =>
        {
            if (!File.Exists(file))
            {
                return false;
            }

            pids = File.ReadAllLines(file).Where(l => l.Trim().Length > 0).Select(l => int.Parse(l.Split(' ')[^1])).ToArray();
            return pids.Length >= count;
        }, $"{count} pids in {file}");
        return pids;
    }
}
