using System.Threading.Channels;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// One connected client: the streams it follows and its bounded queue of events not yet written to it. The hub only ever
/// tries to add (never waits); when the queue is full, by count or by bytes, the client is dropped. The writer of the
/// client's response takes from the queue at the client's own pace.
/// </summary>
public sealed class EventSubscription : IDisposable
{
    private readonly Channel<AgentEvent> _queue;
    private readonly CancellationTokenSource _dropped = new();
    private readonly long _maxBytes;
    private long _queuedBytes;
    private string? _dropReason;
    private int _disposed;

    internal EventSubscription(EventStreams streams, EventsOptions options, long position, IReadOnlyList<AgentEvent>? replay, IReadOnlyList<AgentEvent>? snapshot)
    {
        Streams = streams;
        Position = position;
        Replay = replay;
        Snapshot = snapshot;
        _maxBytes = options.ClientQueueBytes;
        _queue = Channel.CreateBounded<AgentEvent>(new BoundedChannelOptions(options.ClientQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of waiting: the hub never waits
        });
    }

    public EventStreams Streams { get; }

    /// <summary>The sequence number the client is caught up to once it has <see cref="Replay"/> (or a snapshot).</summary>
    public long Position { get; }

    /// <summary>What the client missed since its <c>Last-Event-ID</c>; null when that id is unknown (then: <see cref="Snapshot"/>).</summary>
    public IReadOnlyList<AgentEvent>? Replay { get; private set; }

    /// <summary>The state at <see cref="Position"/>, each stream after its <c>reset</c> marker; null when <see cref="Replay"/> is given.</summary>
    public IReadOnlyList<AgentEvent>? Snapshot { get; private set; }

    /// <summary>
    /// The replay or snapshot has been written: it is let go. A client stays connected for hours, and a snapshot holds an
    /// entry for every release on the device (thousands on some): kept, it would cost that much per client all along.
    /// </summary>
    public void BacklogSent()
    {
        Replay = null;
        Snapshot = null;
    }

    /// <summary>Cancelled when the hub drops the client; <see cref="DropReason"/> says why.</summary>
    public CancellationToken Dropped => _dropped.Token;

    public string? DropReason => Volatile.Read(ref _dropReason);

    internal bool Accepts(AgentEvent e) => e.IsPing || (Streams & e.Stream) != 0;

    /// <summary>Adds without waiting; false when the queue is full (the caller drops the client).</summary>
    internal bool TryEnqueue(AgentEvent e)
    {
        var size = e.Data.Length;
        var queued = Interlocked.Add(ref _queuedBytes, size);
        if (queued > _maxBytes && queued != size)
        {
            Interlocked.Add(ref _queuedBytes, -size);
            return false;
        }

        if (_queue.Writer.TryWrite(e))
        {
            return true;
        }

        Interlocked.Add(ref _queuedBytes, -size);
        return false;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _queue.Reader.WaitToReadAsync(cancellationToken);

    public bool TryRead(out AgentEvent e)
    {
        if (_queue.Reader.TryRead(out e!))
        {
            Interlocked.Add(ref _queuedBytes, -e.Data.Length);
            return true;
        }

        return false;
    }

    /// <summary>Marks the client dropped; false when it already was.</summary>
    internal bool Drop(string reason)
    {
        if (Interlocked.CompareExchange(ref _dropReason, reason, null) is not null)
        {
            return false;
        }

        _queue.Writer.TryComplete();
        try
        {
            _dropped.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already gone.
        }

        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.Writer.TryComplete();
            _dropped.Dispose();
        }
    }
}
