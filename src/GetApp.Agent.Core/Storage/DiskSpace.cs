using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// What the agent does about a full disk. A full data dir must never stop the agent from recording what happened (a
/// failed delivery that cannot be written down looks busy forever), so it keeps a small reserve file it gives back the
/// moment a write fails for lack of space (<see cref="Exhausted"/>): the write is tried once more, in that room. From then
/// on the disk counts as full (the API answers changes with 507) until <see cref="Check"/> finds room again, makes the
/// reserve again, and says so (<see cref="Changed"/>).
/// </summary>
public sealed class DiskSpace
{
    /// <summary>The reserve: room for thousands of small transactions (a release move writes a few 4 KiB pages).</summary>
    public const long ReserveBytes = 8L * 1024 * 1024;

    /// <summary>Back to normal once the reserve fits with as much again to spare, so the next write does not fill it at once.</summary>
    public const long RecoverAtBytes = 2 * ReserveBytes;

    /// <summary>Less than this free (and no reserve to give) counts as full without waiting for a write to fail.</summary>
    public const long FullBelowBytes = 1024 * 1024;

    public const string ReserveFileName = "space.reserve";

    /// <summary>ENOSPC, as the HResult of an <see cref="IOException"/> that means the disk is full.</summary>
    public const int NoSpaceErrno = 28;
    private const int SqliteFull = 13;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    private readonly Lock _gate = new();
    private readonly string _dir;
    private volatile bool _full;

    public DiskSpace(string dataDir)
    {
        _dir = dataDir;
        ReservePath = Path.Combine(dataDir, ReserveFileName);
    }

    public string ReservePath { get; }

    /// <summary>True from the first write that failed for lack of space until <see cref="Check"/> finds room again.</summary>
    public bool IsFull => _full;

    /// <summary>Raised on a change: true when the disk became full, false when space returned (outside any lock).</summary>
    public event Action<bool>? Changed;

    /// <summary>Free bytes on the data dir's file system (long.MaxValue when it cannot be told: never claim full without cause).</summary>
    public long Available()
    {
        try
        {
            return new DriveInfo(_dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>
    /// A write failed for lack of space: the disk counts as full, and half of the reserve is given back (the rest on the
    /// next such failure) so the agent can record what happened. In halves: whatever filled the disk may take the room
    /// given back too, and the write after (a delivery's failure) must still find some. True when that freed room (worth
    /// trying the write once more).
    /// </summary>
    public bool Exhausted()
    {
        bool becameFull;
        bool freed;
        lock (_gate)
        {
            becameFull = !_full;
            _full = true;
            freed = GiveBackHalf();
        }

        if (becameFull)
        {
            Changed?.Invoke(true);
        }

        return freed;
    }

    /// <summary>
    /// Looks at the disk: enters the full state when next to nothing is left (keeping the reserve for the agent's own next
    /// write); leaves it once there is room for the reserve with as much to spare (making it again when it was given back);
    /// otherwise makes the reserve when it is missing and fits.
    /// </summary>
    public void Check()
    {
        bool? changed = null;
        lock (_gate)
        {
            var available = Available();
            var reserved = HasReserve();
            if (_full)
            {
                // Back once there is as much room as the reserve needs with as much again to spare, the reserve made
                // again first when it was given back.
                if (available >= RecoverAtBytes && (reserved || (TryCreateReserve() && Available() >= FullBelowBytes)))
                {
                    _full = false;
                    changed = false;
                }
            }
            else if (available < FullBelowBytes)
            {
                // Full without a write having failed yet (someone else filled it): changes are refused from here on, but
                // the reserve stays until one of the agent's own writes needs it (Exhausted). Given back now, whatever
                // filled the disk could take that room too, and the agent could no longer record a failure.
                _full = true;
                changed = true;
            }
            else if (!reserved && available >= RecoverAtBytes)
            {
                TryCreateReserve();
            }
        }

        if (changed is { } full)
        {
            Changed?.Invoke(full);
        }
    }

    /// <summary>True when <paramref name="exception"/> (or one inside it) says the disk is full: ENOSPC, or SQLite's SQLITE_FULL.</summary>
    public static bool IsDiskFull(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException { SqliteErrorCode: SqliteFull }:
                case IOException { HResult: NoSpaceErrno or WindowsDiskFull or WindowsHandleDiskFull }:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsDiskFull):
                    return true;
            }
        }

        return false;
    }

    private bool HasReserve()
    {
        try
        {
            return new FileInfo(ReservePath) is { Exists: true, Length: ReserveBytes };
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes the reserve with random bytes (a file of zeros may take no room on a compressing or deduplicating file
    /// system) and makes it durable. False, with nothing left behind, when it does not fit.
    /// </summary>
    private bool TryCreateReserve()
    {
        var temporary = ReservePath + ".new";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var chunk = new byte[1024 * 1024];
                RandomNumberGenerator.Fill(chunk);
                for (var written = 0L; written < ReserveBytes; written += chunk.Length)
                {
                    file.Write(chunk);
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, ReservePath, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            return false;
        }
    }

    private bool GiveBackHalf()
    {
        try
        {
            var reserve = new FileInfo(ReservePath);
            if (reserve.Exists && reserve.Length > ReserveBytes / 2)
            {
                using var file = new FileStream(ReservePath, FileMode.Open, FileAccess.Write, FileShare.None);
                file.SetLength(ReserveBytes / 2);
                return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cannot shorten it: give it all back instead.
        }

        return DeleteReserve();
    }

    private bool DeleteReserve()
    {
        var existed = File.Exists(ReservePath);
        return TryDelete(ReservePath) && existed;
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
