using System.Runtime;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Hosting;

/// <summary>
/// Gives memory back after work that leaves a lot of it behind: reading every release at start (in a no-GC region, which
/// commits room for all of them at once) and reading a large catalog (with the small young generation the agent runs
/// with, what lives through the read is promoted to the old generation, which only a full collection frees). One
/// full, compacting collection that also decommits what it frees, run when that work is over, not on a timer: the
/// agent then holds what it uses, not its peak. The executable's pages that work used are given back with it
/// (<see cref="StartPages"/>).
/// </summary>
public static partial class HeapTrim
{
    /// <summary>Offers that make a discovery large enough to trim after (a catalog read of this size leaves MiBs behind).</summary>
    public const int LargeDiscovery = 1000;

    // Long enough for the work's last answer to be written and dropped (a discovery's answer holds every offer).
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);

    // The heap is the process's: one trim pending at a time, whoever asks.
    private static int s_pending;

    /// <summary>Trims once the work that asked has let go of what it read (shortly, in the background); asks made meanwhile join it.</summary>
    public static void Soon(ILogger logger, string after)
    {
        if (Interlocked.Exchange(ref s_pending, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(Settle, TimeProvider.System).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref s_pending, 0);
            }

            try
            {
                Run(logger, after);
            }
            catch (ObjectDisposedException)
            {
                // The host stopped meanwhile and its logging with it: the collection ran, only its line is lost.
            }
        }, CancellationToken.None);
    }

    public static void Run(ILogger logger, string after)
    {
        ArgumentNullException.ThrowIfNull(logger);
        // The work's code is done with too: the executable's pages it used (and the start's) go back to the kernel. First:
        // compacting copies what lives into fresh memory before it frees the old, and that copy should not come on top
        // of MiBs of code pages nobody runs any more (the two together made the peak of a start with 10,000 releases).
        try
        {
            StartPages.Release(logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // /proc unreadable (a hardened container): the pages stay.
        }

        var before = GC.GetGCMemoryInfo();
        var began = TimeProvider.System.GetTimestamp();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var now = GC.GetGCMemoryInfo();
            LogTrimmed(logger, after, MiB(before.HeapSizeBytes), MiB(before.TotalCommittedBytes), MiB(now.HeapSizeBytes), MiB(now.TotalCommittedBytes),
                TimeProvider.System.GetElapsedTime(began).TotalMilliseconds);
        }
    }

    private static double MiB(long bytes) => bytes / 1048576.0;

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug,
        Message = "Memory after {After}: managed heap {HeapBefore:0.0} MiB in use of {CommittedBefore:0.0} MiB committed, trimmed to {HeapAfter:0.0} of {CommittedAfter:0.0} MiB in {Milliseconds:0.0} ms")]
    private static partial void LogTrimmed(ILogger logger, string after, double heapBefore, double committedBefore, double heapAfter, double committedAfter, double milliseconds);
}
