using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Events;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>
/// A client that connects and never reads can slow neither a delivery nor another client, and is dropped. Runs alone:
/// it compares delivery times.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class SlowClientTests(ITestOutputHelper output)
{
    private const long Size = 100L * 1024 * 1024;

    /// <summary>
    /// Deliveries of 100 MiB from an origin sending 32 MiB/s: one to warm up, then three pairs, each without and with a
    /// stuck client (in alternating order); the fastest of each kind are compared (the machine is shared: the minimum
    /// is what the agent can do). Release notes of 100 kB make every event large, so the stuck client's socket is full at
    /// once and its queue overflows in seconds (the test sets the drop limits lower than the product's, which are
    /// minutes of events).
    /// </summary>
    [Fact]
    public async Task StuckClient_DoesNotDelayA100MiBDeliveryByMoreThan5Percent_AndIsDropped()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("big.bin", Size, seed: 21);
        file.Faults.ThrottleBytesPerSecond = 32L * 1024 * 1024;
        var ids = Enumerable.Range(1, 7).Select(i => $"{40 + i}.big-{i}@1.0.0").ToList();
        foreach (var id in ids)
        {
            var entry = CatalogEntries.Http(id, file);
            entry["release"]!["releaseNotes"] = new string('n', 100_000);
            s.Catalog.AddRaw(entry);
        }

        var options = new EventsOptions { ClientQueueCapacity = 16, ClientQueueBytes = 512 * 1024, WriteStallTimeout = TimeSpan.FromSeconds(3) };
        await s.StartAgentAsync(configureServices: EventStreamTestKit.With(options));
        var hub = s.Agent.Get<EventHub>();
        await using var reader = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/delivery");

        var baseline = new List<TimeSpan>();
        var withStuckClient = new List<TimeSpan>();
        var dropped = 0L;
        output.WriteLine($"{ids[0]}: {(await DeliverAsync(s, reader, ids[0])).TotalSeconds:0.000} s (warming up)");
        bool[] order = [false, true, true, false, false, true];
        for (var i = 1; i < ids.Count; i++)
        {
            var stuck = order[i - 1];
            using var socket = stuck ? await ConnectStuckClientAsync(s.Agent.BaseAddress) : null;
            if (stuck)
            {
                await WaitUntilAsync(() => hub.ClientCount == 2, "the stuck client to be subscribed");
            }

            var droppedBefore = hub.DroppedClients;
            var took = await DeliverAsync(s, reader, ids[i]);
            (stuck ? withStuckClient : baseline).Add(took);
            output.WriteLine($"{ids[i]}: {took.TotalSeconds:0.000} s {(stuck ? "with a stuck client" : "without")}");
            if (stuck)
            {
                await WaitUntilAsync(() => hub.DroppedClients > droppedBefore, "the stuck client to be dropped");
                Assert.True(await IsClosedByServerAsync(socket!), "the agent closed the stuck client's connection");
                dropped += hub.DroppedClients - droppedBefore;
            }

            Assert.Equal(1, hub.ClientCount); // the healthy reader only
        }

        var ratio = withStuckClient.Min() / baseline.Min();
        output.WriteLine($"fastest without {baseline.Min().TotalSeconds:0.000} s, fastest with a stuck client {withStuckClient.Min().TotalSeconds:0.000} s: ratio {ratio:0.000}");
        Assert.True(ratio <= 1.05, $"a stuck client slowed the delivery: {string.Join(", ", baseline)} alone vs {string.Join(", ", withStuckClient)}");
        Assert.Equal(3, dropped);
        Assert.False(reader.Ended);
        Assert.Empty(reader.Violations);
    }

    /// <summary>Starts the delivery and measures until the healthy reader sees it downloaded; then frees the space.</summary>
    private static async Task<TimeSpan> DeliverAsync(DeliveryScenario s, SseClient reader, string id)
    {
        var clock = Stopwatch.StartNew();
        await s.ControlOkAsync("start", id);
        var done = await reader.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("release").GetProperty("id").GetString() == id
            && (e.Json.GetProperty("state").GetString() == "downloaded" || e.Json.GetProperty("deviceReleaseStatus").GetString() == "Error"), TimeSpan.FromSeconds(120));
        var took = clock.Elapsed;
        Assert.Equal("downloaded", done.Json.GetProperty("state").GetString());
        await s.ControlOkAsync("delete", id);
        return took;
    }

    /// <summary>A raw TCP client with the smallest receive buffer that asks for every stream and never reads a byte.</summary>
    private static async Task<Socket> ConnectStuckClientAsync(Uri agent)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(agent.Host, agent.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /api/v2/events HTTP/1.1\r\nHost: {agent.Authority}\r\nAccept: text/event-stream\r\n\r\n"));
        return socket;
    }

    /// <summary>Reads what the socket holds until the end the server sent (true), or gives up after 10 s (false).</summary>
    private static async Task<bool> IsClosedByServerAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset by the agent
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
