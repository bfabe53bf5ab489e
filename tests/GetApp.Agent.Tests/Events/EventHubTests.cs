using System.Text;
using GetApp.Agent.Core.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Events;

public sealed class EventHubTests : IDisposable
{
    private readonly List<EventHub> _hubs = [];

    [Fact]
    public void Subscribe_WithoutAnId_SnapshotOfTheLatestStates_ResetFirst_InStreamOrder()
    {
        var hub = Hub();
        hub.Prime(EventStreams.Delivery, "b", Data("b1"));
        hub.Publish(EventStreams.Delivery, Data("a1"), "a");
        hub.Publish(EventStreams.Delivery, Data("b2"), "b");
        hub.Publish(EventStreams.Offering, Data("o1"), "");
        hub.Publish(EventStreams.Deploy, Data("d1"), "a");
        hub.Publish(EventStreams.Deploy, Data("d-gone"), "a", forget: true);

        using var client = hub.Subscribe(EventStreams.Delivery | EventStreams.Offering | EventStreams.Deploy, null);

        Assert.Null(client.Replay);
        Assert.Equal(hub.Sequence, client.Position);
        Assert.Equal(["reset:offering", "o1", "reset:delivery", "a1", "b2", "reset:deploy"], client.Snapshot!.Select(Describe));
    }

    [Fact]
    public async Task Prime_WithARenderer_RenderedOnlyWhenASnapshotIsWritten_UntilAnEventReplacesIt()
    {
        var hub = Hub();
        var renders = 0;
        hub.Prime(EventStreams.Delivery, "a", _ =>
        {
            renders++;
            return ValueTask.FromResult<ReadOnlyMemory<byte>>(Data("a-at-start"));
        });
        Assert.Equal(0, renders);

        using (var first = hub.Subscribe(EventStreams.Delivery, null))
        {
            Assert.Equal(0, renders); // subscribing (under the hub's lock) renders nothing
            var entry = first.Snapshot![1];
            Assert.Equal("a-at-start", Encoding.UTF8.GetString((await entry.ReadDataAsync(CancellationToken.None)).Span));
            Assert.Equal(1, renders);
        }

        hub.Publish(EventStreams.Delivery, Data("a-moved"), "a");
        using var second = hub.Subscribe(EventStreams.Delivery, null);

        Assert.Equal("a-moved", Encoding.UTF8.GetString((await second.Snapshot![1].ReadDataAsync(CancellationToken.None)).Span));
        Assert.Equal(1, renders);
    }

    [Fact]
    public async Task PrimeAll_StatesReadWhenASnapshotIsWritten_EventsReplaceTheirKeys_AllInKeyOrder()
    {
        var hub = Hub();
        var keys = new List<string> { "c", "a" };
        var reads = 0;
        hub.PrimeAll(EventStreams.Delivery, () =>
        {
            reads++;
            return keys.Select(k => (k, (EventRenderer)(_ => ValueTask.FromResult<ReadOnlyMemory<byte>>(Data(k + "-now")))));
        });
        Assert.Equal(0, reads); // nothing held or read per key until a client asks

        hub.Publish(EventStreams.Delivery, Data("b1"), "b");
        hub.Publish(EventStreams.Delivery, Data("c-moved"), "c");
        keys.Add("d"); // a key the read model has now (its event follows)
        using var client = hub.Subscribe(EventStreams.Delivery, null);

        Assert.Equal(1, reads);
        var texts = new List<string>();
        foreach (var e in client.Snapshot!.Skip(1))
        {
            texts.Add(Encoding.UTF8.GetString((await e.ReadDataAsync(CancellationToken.None)).Span));
        }

        Assert.Equal(["a-now", "b1", "c-moved", "d-now"], texts);
    }

    [Fact]
    public void Subscribe_WithAKnownId_ReplaysWhatFollowedIt_OnlyOfItsStreams()
    {
        var hub = Hub();
        var first = hub.Publish(EventStreams.Delivery, Data("1"), "a");
        hub.Publish(EventStreams.Offering, Data("2"), "");
        hub.Publish(EventStreams.Delivery, Data("3"), "a");

        using var client = hub.Subscribe(EventStreams.Delivery, hub.IdOf(first.Sequence));

        Assert.Null(client.Snapshot);
        Assert.Equal(["3"], client.Replay!.Select(Describe));
    }

    [Fact]
    public void Subscribe_IdOlderThanTheBuffer_OrFromAnotherBoot_OrInTheFuture_Snapshot()
    {
        var hub = Hub(new EventsOptions { ReplayBufferSize = 2 });
        var first = hub.Publish(EventStreams.Delivery, Data("1"), "a");
        var second = hub.Publish(EventStreams.Delivery, Data("2"), "a");
        hub.Publish(EventStreams.Delivery, Data("3"), "a");
        hub.Publish(EventStreams.Delivery, Data("4"), "a");

        // Events 3 and 4 are buffered: after 2 everything is there, after 1 event 2 is gone.
        Assert.NotNull(Subscribe(hub, hub.IdOf(second.Sequence)).Replay);
        Assert.NotNull(Subscribe(hub, hub.IdOf(4)).Replay);
        Assert.Null(Subscribe(hub, hub.IdOf(first.Sequence)).Replay);
        Assert.Null(Subscribe(hub, hub.IdOf(5)).Replay);
        Assert.Null(Subscribe(hub, "0" + hub.IdOf(4)).Replay);
        Assert.Null(Subscribe(hub, Hub().IdOf(4)).Replay);
        Assert.Null(Subscribe(hub, hub.BootId + "-").Replay);
    }

    [Fact]
    public void Publish_ToAClientThatDoesNotRead_DropsItWhenItsQueueIsFull_OthersUnaffected()
    {
        var hub = Hub(new EventsOptions { ClientQueueCapacity = 3 });
        var stuck = hub.Subscribe(EventStreams.Delivery, null);
        var reading = hub.Subscribe(EventStreams.Delivery, null);
        var dropped = new List<string>();
        hub.ClientDropped += dropped.Add;

        for (var i = 0; i < 10; i++)
        {
            hub.Publish(EventStreams.Delivery, Data($"{i}"), "a");
            while (reading.TryRead(out _))
            {
            }
        }

        Assert.True(stuck.Dropped.IsCancellationRequested);
        Assert.Contains("queue is full", stuck.DropReason);
        Assert.False(reading.Dropped.IsCancellationRequested);
        Assert.Single(dropped);
        Assert.Equal(1, hub.ClientCount);
        Assert.Equal(1, hub.DroppedClients);
    }

    [Fact]
    public void Publish_QueueBoundedByBytesToo_ButOneLargeEventReachesAClientThatCaughtUp()
    {
        var hub = Hub(new EventsOptions { ClientQueueBytes = 100 });
        var client = hub.Subscribe(EventStreams.Offering, null);

        hub.Publish(EventStreams.Offering, new byte[500], "");
        Assert.True(client.TryRead(out var large));
        Assert.Equal(500, large.Data.Length);

        hub.Publish(EventStreams.Offering, new byte[60], "");
        hub.Publish(EventStreams.Offering, new byte[60], "");
        Assert.True(client.Dropped.IsCancellationRequested);
    }

    [Fact]
    public void Publish_OnlyToClientsOfItsStream()
    {
        var hub = Hub();
        using var deliveries = hub.Subscribe(EventStreams.Delivery, null);
        using var offers = hub.Subscribe(EventStreams.Offering, null);

        hub.Publish(EventStreams.Offering, Data("o"), "");

        Assert.False(deliveries.TryRead(out _));
        Assert.True(offers.TryRead(out var e));
        Assert.Equal("o", Describe(e));
    }

    [Fact]
    public void Notifications_SnapshotHoldsTheLastTwenty()
    {
        var hub = Hub();
        for (var i = 0; i < 25; i++)
        {
            hub.Publish(EventStreams.Notifications, Data($"n{i}"));
        }

        using var client = hub.Subscribe(EventStreams.Notifications, null);

        Assert.Equal(["reset:notifications", .. Enumerable.Range(5, 20).Select(i => $"n{i}")], client.Snapshot!.Select(Describe));
    }

    public void Dispose()
    {
        foreach (var hub in _hubs)
        {
            hub.Dispose();
        }
    }

    private EventHub Hub(EventsOptions? options = null)
    {
        var hub = new EventHub(options ?? new EventsOptions(), TimeProvider.System, NullLogger<EventHub>.Instance);
        _hubs.Add(hub);
        return hub;
    }

    private static EventSubscription Subscribe(EventHub hub, string id) => hub.Subscribe(EventStreams.Delivery, id);

    private static byte[] Data(string text) => Encoding.UTF8.GetBytes(text);

    private static string Describe(AgentEvent e) => e.Kind == AgentEventKind.Reset
        ? "reset:" + Encoding.UTF8.GetString(e.Data).Split('"')[3]
        : Encoding.UTF8.GetString(e.Data);
}
