using System.Runtime;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Reading every release into memory allocates only what stays: with the small young generation the agent runs with (a
/// a MiB between collections: see GetApp.Agent.csproj), thousands of rows would go through dozens of collections, each copying what was
/// read so far. So the read runs in a no-GC region sized from the database file, and is copied once, afterwards. Below
/// <see cref="MinRows"/> it is not worth it; if the region cannot be had, the read runs as usual.
/// </summary>
internal sealed class BulkLoad : IDisposable
{
    public const int MinRows = 500;

    // What one row holds beyond its JSON (row object, id and path strings, tree node), with room to spare.
    private const long PerRow = 1024;
    private const long MaxRegion = 192L * 1024 * 1024;

    private readonly bool _started;

    private BulkLoad(bool started) => _started = started;

    public static async Task<BulkLoad> StartAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // The file's size bounds what its rows hold; summing the JSON's lengths would read every row once more.
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM releases), (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size());";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var rows = reader.GetInt64(0);
        var size = (reader.GetInt64(1) + (rows * PerRow)) * 5 / 4;
        if (rows < MinRows || size > MaxRegion)
        {
            return new BulkLoad(false);
        }

        try
        {
            return new BulkLoad(GC.TryStartNoGCRegion(size, disallowFullBlockingGC: true));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // Larger than this GC allows, or a region is already on: read as usual.
            return new BulkLoad(false);
        }
    }

    public void Dispose()
    {
        // A read larger than estimated ended the region by itself (with a collection): nothing to end then.
        if (_started && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();

            // Ending the region leaves the young generation's budget at what the region had left (MiBs): whatever runs
            // next (the start's discovery, reading a catalog as large) would pile its garbage on top of the rows read
            // until that is spent. A young collection now sets the budget back; not compacting, it promotes the rows
            // where they lie instead of copying them.
            GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: false);

            // And once more, to the old generation: there, the next young collections (the discovery's) leave the rows be
            // instead of compacting MiBs of them while the start's code pages are still resident.
            GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
    }
}
