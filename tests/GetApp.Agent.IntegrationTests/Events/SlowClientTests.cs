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
    private const int Rounds = 6;

    /// <summary>
    /// Two agents in this process, each with a healthy reader, deliver the same 100 MiB (origins sending 32 MiB/s) at the
    /// same time; in each round one of them also has a stuck client, the other not, so the one without is measured side
    /// by side with it, under the same load at the same moment (the machine is shared: its load changes from one second
    /// to the next, which made the times of runs one after another incomparable at 5 %). Which agent has the stuck client
    /// alternates, and so does which delivery is started first, so a difference between the two agents or a head start
    /// cancels out. The median over the rounds of (time with a stuck client / time without, same round) must be at most
    /// 1.05. A hub that waited for a stuck client would hold every event behind it until the client is dropped (seconds,
    /// on a delivery of seconds). Release notes of 100 kB make every event large, so the stuck client's socket is full at
    /// once and its queue overflows in seconds (the test sets the drop limits lower than the product's, which are minutes
    /// of events).
    /// </summary>
    [Fact]
    public async Task StuckClient_DoesNotDelayA100MiBDeliveryByMoreThan5Percent_AndIsDropped()
    {
        await using var a = await Side.StartAsync("a");
        await using var b = await Side.StartAsync("b");
        Side[] sides = [a, b];
        var warmUp = await Task.WhenAll(a.DeliverAsync(0), b.DeliverAsync(0));
        output.WriteLine($"warming up: a {warmUp[0].TotalSeconds:0.000} s, b {warmUp[1].TotalSeconds:0.000} s");

        var ratios = new List<double>();
        var dropped = 0L;
        for (var round = 1; round <= Rounds; round++)
        {
            var stuckSide = sides[round % 2];
            var other = sides[(round + 1) % 2];
            using var socket = await ConnectStuckClientAsync(stuckSide.Agent.BaseAddress);
            await WaitUntilAsync(() => stuckSide.Hub.ClientCount == 2, "the stuck client to be subscribed");
            var droppedBefore = stuckSide.Hub.DroppedClients;
            var otherDroppedBefore = other.Hub.DroppedClients;

            // The delivery started first has a head start on a busy machine: each agent, with and without the stuck client,
            // is started first in half of the rounds.
            var stuckFirst = round / 2 % 2 == 0;
            var first = stuckFirst ? stuckSide.DeliverAsync(round) : other.DeliverAsync(round);
            var second = stuckFirst ? other.DeliverAsync(round) : stuckSide.DeliverAsync(round);
            await Task.WhenAll(first, second);
            var (withStuck, without) = stuckFirst ? (first.Result, second.Result) : (second.Result, first.Result);
            ratios.Add(withStuck / without);
            output.WriteLine($"round {round}: {stuckSide.Name} with a stuck client {withStuck.TotalSeconds:0.000} s, {other.Name} without {without.TotalSeconds:0.000} s " +
                $"({(stuckFirst ? stuckSide.Name : other.Name)} started first): ratio {ratios[^1]:0.000}");

            await WaitUntilAsync(() => stuckSide.Hub.DroppedClients > droppedBefore, "the stuck client to be dropped");
            Assert.True(await IsClosedByServerAsync(socket), "the agent closed the stuck client's connection");
            dropped += stuckSide.Hub.DroppedClients - droppedBefore;
            Assert.Equal(1, stuckSide.Hub.ClientCount); // the healthy reader only
            Assert.Equal(otherDroppedBefore, other.Hub.DroppedClients); // its healthy reader kept up
        }

        var sorted = ratios.Order().ToList();
        var median = (sorted[(Rounds - 1) / 2] + sorted[Rounds / 2]) / 2;
        output.WriteLine($"median ratio {median:0.000}");
        Assert.True(median <= 1.05, $"a stuck client slowed the delivery: ratios {string.Join(", ", ratios.Select(r => r.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Equal(Rounds, dropped);
        foreach (var side in sides)
        {
            Assert.False(side.Reader.Ended);
            Assert.Empty(side.Reader.Violations);
        }
    }

    /// <summary>One agent with its origin, releases and healthy reader.</summary>
    private sealed class Side : IAsyncDisposable
    {
        private readonly DeliveryScenario _scenario;

        private Side(string name, DeliveryScenario scenario, SseClient reader)
        {
            Name = name;
            _scenario = scenario;
            Reader = reader;
        }

        public string Name { get; }
        public SseClient Reader { get; }
        public TestAgent Agent => _scenario.Agent;
        public EventHub Hub => Agent.Get<EventHub>();

        public static async Task<Side> StartAsync(string name)
        {
            var s = await DeliveryScenario.CreateAsync();
            var file = s.Origin.AddFile("big.bin", Size, seed: 21);
            file.Faults.ThrottleBytesPerSecond = 32L * 1024 * 1024;
            for (var round = 0; round <= Rounds; round++)
            {
                var entry = CatalogEntries.Http(IdOf(round), file);
                entry["release"]!["releaseNotes"] = new string('n', 100_000);
                s.Catalog.AddRaw(entry);
            }

            var options = new EventsOptions { ClientQueueCapacity = 16, ClientQueueBytes = 512 * 1024, WriteStallTimeout = TimeSpan.FromSeconds(3) };
            await s.StartAgentAsync(configureServices: EventStreamTestKit.With(options));
            return new Side(name, s, await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/delivery"));
        }

        /// <summary>Starts the delivery and measures until the healthy reader sees it downloaded; then frees the space.</summary>
        public async Task<TimeSpan> DeliverAsync(int round)
        {
            var id = IdOf(round);
            var clock = Stopwatch.StartNew();
            await _scenario.ControlOkAsync("start", id);
            var done = await Reader.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("release").GetProperty("id").GetString() == id
                && (e.Json.GetProperty("state").GetString() == "downloaded" || e.Json.GetProperty("deviceReleaseStatus").GetString() == "Error"), TimeSpan.FromSeconds(120));
            var took = clock.Elapsed;
            Assert.Equal("downloaded", done.Json.GetProperty("state").GetString());
            await _scenario.ControlOkAsync("delete", id);
            return took;
        }

        public async ValueTask DisposeAsync()
        {
            await Reader.DisposeAsync();
            await _scenario.DisposeAsync();
        }

        private static string IdOf(int round) => $"{40 + round}.big-{round}@1.0.0";
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
