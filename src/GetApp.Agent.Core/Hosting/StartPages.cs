using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Hosting;

/// <summary>
/// Gives back the executable's pages that only the start used. The Native AOT executable is about 24 MB and is mapped
/// from the file; starting (the host, dependency injection, configuration, Kestrel, the schema migration) touches code and
/// data all over it, and the kernel maps 64 KiB around every page touched, so about 21 MB of it stays resident although
/// a running agent uses a fraction of it. Once the agent has started, it asks the kernel to reclaim the executable's
/// read-only mappings (<c>madvise(MADV_PAGEOUT)</c>, Linux 5.4+, what Android does for apps in the background): the
/// pages are clean copies of the file, so nothing is lost, and those the agent still uses come back on their next use.
/// Writable mappings (the executable's data, the heap) are never touched.
/// </summary>
public static partial class StartPages
{
    private const int MadvPageout = 21;

    /// <summary>
    /// What was asked of the kernel: the executable's read-only bytes, and how many of them were resident before and after
    /// (read from <c>/proc/self/smaps</c> only for the debug log line; 0 without it).
    /// </summary>
    public readonly record struct Outcome(long MappedBytes, long ResidentBefore, long ResidentAfter);

    /// <summary>Reclaims the executable's read-only mappings (Linux only; elsewhere, or when the kernel refuses, does nothing).</summary>
    public static Outcome? Release(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (!OperatingSystem.IsLinux() || Environment.ProcessPath is not { } executable)
        {
            return null;
        }

        var regions = ReadOnlyRegionsOf(File.ReadAllLines("/proc/self/maps"), ResolvedPath(executable));
        if (regions.Count == 0)
        {
            return null;
        }

        // Walking smaps costs the kernel more than the madvise itself: only when someone reads the line.
        var measured = logger.IsEnabled(LogLevel.Debug);
        var before = measured ? ResidentBytes(regions) : 0;
        foreach (var (start, length) in regions)
        {
            // EINVAL on a kernel older than 5.4: nothing to do there; the pages stay as they were.
            if (Madvise(start, length, MadvPageout) != 0)
            {
                LogRefused(logger, Marshal.GetLastPInvokeError());
                return null;
            }
        }

        var outcome = new Outcome(regions.Sum(r => (long)r.Length), before, measured ? ResidentBytes(regions) : 0);
        if (measured)
        {
            LogReleased(logger, MiB(outcome.MappedBytes), MiB(outcome.ResidentBefore), MiB(outcome.ResidentAfter));
        }

        return outcome;
    }

    /// <summary>
    /// The read-only and executable mappings of <paramref name="executable"/> in a <c>/proc/PID/maps</c> listing, as
    /// (start, length). Writable ones are left out: their pages may differ from the file.
    /// </summary>
    public static IReadOnlyList<(nint Start, nuint Length)> ReadOnlyRegionsOf(IEnumerable<string> maps, string executable)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var regions = new List<(nint, nuint)>();
        foreach (var line in maps)
        {
            // address perms offset dev inode path (the path may hold spaces: it is everything after the fifth field)
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || fields[5].Trim() != executable || fields[1].Length < 4 || fields[1][1] == 'w' || fields[1][0] != 'r')
            {
                continue;
            }

            var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
            if (dash < 0
                || !ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)
                || end <= start)
            {
                continue;
            }

            regions.Add(((nint)start, (nuint)(end - start)));
        }

        return regions;
    }

    // /proc/self/maps names the file as the kernel resolved it (links followed).
    private static string ResolvedPath(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    // Resident bytes of the regions, from /proc/self/smaps (for the log line and the tests; a few hundred lines).
    private static long ResidentBytes(IReadOnlyList<(nint Start, nuint Length)> regions)
    {
        var starts = regions.Select(r => (ulong)r.Start).ToHashSet();
        long total = 0;
        var counting = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.IndexOf('-', StringComparison.Ordinal) is var dash and > 0
                && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start))
            {
                counting = starts.Contains(start);
            }
            else if (counting && line.StartsWith("Rss:", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb))
            {
                total += kb * 1024;
            }
        }

        return total;
    }

    private static double MiB(long bytes) => bytes / 1048576.0;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug,
        Message = "Executable pages the start used given back: {Mapped:0.0} MiB mapped read-only, {Before:0.0} MiB resident before, {After:0.0} MiB after")]
    private static partial void LogReleased(ILogger logger, double mapped, double before, double after);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Debug, Message = "The kernel keeps the executable's start pages (madvise error {Errno}): older than Linux 5.4?")]
    private static partial void LogRefused(ILogger logger, int errno);
}
