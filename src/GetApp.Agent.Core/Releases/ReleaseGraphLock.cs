namespace GetApp.Agent.Core.Releases;

/// <summary>
/// Held by the two actions that look at the dependency graph and then move a release on what they saw: a deploy start
/// (every dependency is on the device) and a delivery delete (no install under way needs it). Neither can slip between
/// the other's check and its move, so a dependency's files are never deleted under its root's installer.
/// </summary>
public sealed class ReleaseGraphLock : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<Held> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Held(_gate);
    }

    public void Dispose() => _gate.Dispose();

    public readonly struct Held(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
