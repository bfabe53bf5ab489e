namespace GetApp.Agent.Core.Deploy;

/// <summary>An install the agent is running: how to stop it, and why it was stopped when an installer report asked to.</summary>
internal sealed class InstallerRun(CancellationToken stopping) : IDisposable
{
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationToken Token => _cancel.Token;

    /// <summary>Set when a <c>Cancelled</c> report stopped the run (rather than the agent stopping).</summary>
    public string? CancelReason { get; private set; }

    public Task Finished => _finished.Task;

    /// <summary>The installer's process is gone; only its outcome is still being recorded (moments, not minutes).</summary>
    public bool Exited { get; private set; }

    public void MarkExited() => Exited = true;

    public void Cancel(string reason)
    {
        CancelReason = reason;
        _cancel.Cancel();
    }

    public void MarkFinished() => _finished.TrySetResult();

    public void Dispose() => _cancel.Dispose();
}
