using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Hosting;

/// <summary>Waits for the host to have started (the API answers): for start-up work that must not hold the API up.</summary>
public static class HostStarted
{
    /// <summary>True once the host has started (at once if it has); false when <paramref name="cancellationToken"/> ends the wait first.</summary>
    public static async Task<bool> WaitAsync(IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        if (lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return true;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (cancellationToken.Register(() => started.TrySetCanceled(cancellationToken)))
        {
            try
            {
                await started.Task.ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
