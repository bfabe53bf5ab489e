namespace GetApp.Agent.Core.Delivery;

/// <summary>Why a running delivery was asked to stop; the engine acts on it once the run has let go of its files.</summary>
public enum DeliveryStopReason
{
    /// <summary>The agent is shutting down: leave everything as it is, a restart resumes.</summary>
    None,
    Pause,
    Cancel,
}

/// <summary>One running delivery of a root and its closure: what it covers, and how to stop it.</summary>
public sealed class DeliveryRun(string rootId, CancellationToken stopping) : IDisposable
{
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private volatile string[] _members = [rootId];

    public string RootId { get; } = rootId;

    /// <summary>Cancelled on pause, cancel or shutdown.</summary>
    public CancellationToken Token => _stop.Token;

    public DeliveryStopReason StopReason { get; private set; }

    /// <summary>The catalog ids this run delivers (its closure), root included.</summary>
    public IReadOnlyList<string> Members
    {
        get => _members;
        internal set => _members = [.. value];
    }

    public Task Completion { get; internal set; } = Task.CompletedTask;

    public void Stop(DeliveryStopReason reason)
    {
        StopReason = reason;
        _stop.Cancel();
    }

    public void Dispose() => _stop.Dispose();
}
