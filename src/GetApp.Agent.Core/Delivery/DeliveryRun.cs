namespace GetApp.Agent.Core.Delivery;

/// <summary>Why a running delivery was asked to stop; the engine acts on it once the run has let go of its files.</summary>
public enum DeliveryStopReason
{
    /// <summary>Not asked to stop (it ends on its own), or the agent is shutting down: a restart resumes.</summary>
    None,
    Pause,
    Cancel,
}

/// <summary>One running delivery of a root and its closure: what it covers, and how to stop it.</summary>
/// <remarks>
/// <see cref="Stop"/> may come from any request thread at any moment, also while or after the run ends: it never throws.
/// The token source is disposed only once no <see cref="Stop"/> is still cancelling it (a cancel may run the run's own
/// continuations inline, up to its end and disposal).
/// </remarks>
public sealed class DeliveryRun(string rootId, CancellationToken stopping) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string[] _members = [rootId];
    private int _cancelling;
    private bool _disposeRequested;
    private bool _disposed;

    public string RootId { get; } = rootId;

    /// <summary>Cancelled on pause, cancel or shutdown. Read it when the run starts (not after it ended).</summary>
    public CancellationToken Token => _stop.Token;

    public DeliveryStopReason StopReason { get; private set; }

    /// <summary>Set when the run gave up on its own because a move it needed was refused (another party moved a release).</summary>
    public string? Abandoned { get; internal set; }

    /// <summary>Set when the run stopped for lack of space (the disk full, or too little room for the rest): the engine starts it again once there is room.</summary>
    public bool DiskFull { get; internal set; }

    /// <summary>With <see cref="DiskFull"/>: the bytes free it needs to start again; null when the disk no longer full is enough.</summary>
    public long? SpaceNeeded { get; internal set; }

    /// <summary>The catalog ids this run delivers (its closure), root included.</summary>
    public IReadOnlyList<string> Members
    {
        get => _members;
        internal set => _members = [.. value];
    }

    /// <summary>Completes when the run has let go of its files and left the engine's books; never faults.</summary>
    public Task Completion => _completion.Task;

    internal void Complete() => _completion.TrySetResult();

    /// <summary>Asks the run to stop. False when it had already ended: there was nothing to stop.</summary>
    public bool Stop(DeliveryStopReason reason)
    {
        lock (_gate)
        {
            if (_disposeRequested)
            {
                return false;
            }

            // A cancel is stronger than a pause that asked first.
            StopReason = reason == DeliveryStopReason.Cancel || StopReason == DeliveryStopReason.None ? reason : StopReason;
            _cancelling++;
        }

        try
        {
            _stop.Cancel();
        }
        finally
        {
            lock (_gate)
            {
                if (--_cancelling == 0 && _disposeRequested)
                {
                    DisposeCore();
                }
            }
        }

        return true;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposeRequested = true;
            if (_cancelling == 0)
            {
                DisposeCore();
            }
        }
    }

    private void DisposeCore()
    {
        if (!_disposed)
        {
            _disposed = true;
            _stop.Dispose();
        }
    }
}
