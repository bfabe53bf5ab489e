using System.Globalization;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>What connected event clients cost a real agent process (its resident memory, read from /proc).</summary>
[Collection(TimingSensitive.Name)]
public sealed class EventClientsMemoryTests(ITestOutputHelper output)
{
    private const int Clients = 200;

    [Fact]
    public async Task TwoHundredConnectedClients_CostTheAgentLessThan10MB()
    {
        using var catalog = new TestCatalog();
        for (var i = 1; i <= 20; i++)
        {
            catalog.Add($"{i}.app-{i}@1.0.{i}", files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[100] });
        }

        catalog.Write();
        using var dataDir = new TempDirectory("getapp-data");
        await using var agent = await AgentProcess.StartAsync(dataDir.Path, ["--catalog", catalog.Path]);
        using var http = new HttpClient { BaseAddress = agent.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        await WaitUntilAsync(async () => (await http.GetStringAsync("/api/v2/device/offering")).Contains("20.app-20", StringComparison.Ordinal));

        // Warm up: the first clients pay for code that runs once (JIT, the first snapshot, the first live event written to
        // connected clients), not for being connected. (The shipped agent is compiled ahead of time; this one, run with
        // `dotnet exec`, compiles each path the first time it runs, and that memory is not the clients'.)
        for (var round = 0; round < 2; round++)
        {
            var warm = await ConnectAsync(http, 20);
            if (round == 0)
            {
                catalog.Add("21.app-21@1.0.21", files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[100] }).Write();
                await http.PostAsync("/api/v2/triggers/discover-component", null);
                await Task.WhenAll(warm.Select(c => c.WaitForAsync(e => e.Event == "offering" && e.Data.Contains("21.app-21", StringComparison.Ordinal))));
            }

            await DisposeAllAsync(warm);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        output.WriteLine(Gc(await http.GetStringAsync("/metrics")));
        var before = await StableRssAsync(agent.Pid);
        var threadsBefore = Threads(agent.Pid);
        var clients = await ConnectAsync(http, Clients);
        await WaitUntilAsync(async () => Connected(await http.GetStringAsync("/metrics")) >= Clients);
        // One change goes to every client while they are connected (the offering is published when it changes).
        catalog.Add("22.app-22@1.0.22", files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[100] }).Write();
        await http.PostAsync("/api/v2/triggers/discover-component", null);
        await Task.WhenAll(clients.Select(c => c.WaitForAsync(e => e.Event == "offering"))); // after its snapshot: the live one
        await Task.Delay(TimeSpan.FromSeconds(2));
        var after = await StableRssAsync(agent.Pid);
        output.WriteLine(Gc(await http.GetStringAsync("/metrics")));

        var cost = after - before;
        output.WriteLine($"agent RSS {before / 1024.0 / 1024:0.0} MiB with no client, {after / 1024.0 / 1024:0.0} MiB with {Clients}: +{cost / 1024.0 / 1024:0.00} MiB ({cost / Clients / 1024.0:0.0} KiB per client); threads {threadsBefore} → {Threads(agent.Pid)}");
        Assert.All(clients, c => Assert.False(c.Ended));
        Assert.True(cost < 10_000_000, $"{Clients} clients cost {cost} bytes");
        await DisposeAllAsync(clients);
    }

    private static async Task<List<SseClient>> ConnectAsync(HttpClient http, int count)
    {
        var clients = new List<SseClient>();
        for (var i = 0; i < count; i++)
        {
            var client = await SseClient.ConnectAsync(http, "/api/v2/events");
            await client.WaitForAsync(e => e.Id is not null); // the snapshot is in
            clients.Add(client);
        }

        return clients;
    }

    private static async Task DisposeAllAsync(List<SseClient> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    private static string Gc(string metrics)
    {
        var parsed = PrometheusText.Parse(metrics);
        return $"gc heap {PrometheusText.Value(parsed, "dotnet_gc_heap_size_bytes") / 1048576:0.0} MiB, committed {PrometheusText.Value(parsed, "dotnet_gc_committed_bytes") / 1048576:0.0} MiB";
    }

    private static double Connected(string metrics) =>
        PrometheusText.Value(PrometheusText.Parse(metrics), "getapp_events_clients");

    /// <summary>The agent's VmRSS once two readings a second apart agree within 1 MiB (the larger of the two).</summary>
    private static async Task<long> StableRssAsync(int pid)
    {
        var last = Rss(pid);
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(1000);
            var now = Rss(pid);
            if (Math.Abs(now - last) < 1024 * 1024)
            {
                return Math.Max(now, last);
            }

            last = now;
        }

        return last;
    }

    private static int Threads(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal))["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
