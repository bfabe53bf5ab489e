using GetApp.Agent.Core.Releases;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Releases and their dependency edges in SQLite, and the read model that serves every read of them. Writes are
/// serialised through one lock (one agent process owns the data dir), and each write is one transaction, so a
/// transition is either fully stored or not at all.
/// </summary>
/// <remarks>
/// The read model (<see cref="Snapshot"/>) is loaded from the database once and then changed only here, by the one
/// writer, after its transaction commits: a reader never sees a change that is not stored, and sees every stored one
/// as soon as the write returns. Reads cost no database round trip and no JSON parse. Every row written goes through
/// <see cref="SaveAsync"/> or <see cref="DeleteAsync"/> inside <see cref="WriteAsync{T}"/>; nothing else may write the
/// <c>releases</c> and <c>release_dependencies</c> tables.
/// </remarks>
public sealed class ReleaseStore(AgentDatabase database, IEnumerable<IReleaseWriteListener> listeners)
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly IReleaseWriteListener[] _listeners = [.. listeners];

    // Null until loaded, and again after a commit whose outcome is unknown (reloaded from the database then).
    private volatile ReleaseSnapshot? _snapshot;

    // The last snapshot loaded or committed, kept while _snapshot is null after a commit of unknown outcome.
    private volatile ReleaseSnapshot _lastKnown = ReleaseSnapshot.Empty;

    // The rows written by the transaction in progress (one at a time, under the write lock), applied after it commits.
    private Dictionary<string, ReleaseRow?>? _pending;

    /// <summary>Every release as of the last commit. Loads the store on first use.</summary>
    public ValueTask<ReleaseSnapshot> SnapshotAsync(CancellationToken cancellationToken) =>
        _snapshot is { } snapshot ? ValueTask.FromResult(snapshot) : new ValueTask<ReleaseSnapshot>(LoadAsync(cancellationToken));

    /// <summary>
    /// The last snapshot loaded or committed, without waiting: for readers that must not wait (under another lock). Empty
    /// before the first load; after a commit of unknown outcome, the one before it until the store is read again.
    /// </summary>
    public ReleaseSnapshot LastKnown => _snapshot ?? _lastKnown;

    /// <summary>Reads every release into memory; the host calls it once the API is bound, and holds requests until it is over (but for <see cref="FindStoredAsync"/>).</summary>
    public async Task<ReleaseSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LoadLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The release as stored, without waiting for the read model: from it once loaded, else read from the database (the
    /// start, while thousands of rows load). The same reader as the load's, so the same row; null when there is none.
    /// </summary>
    public async Task<ReleaseRow?> FindStoredAsync(string catalogId, CancellationToken cancellationToken)
    {
        if (_snapshot is { } snapshot)
        {
            return snapshot.Find(catalogId);
        }

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseRows.ReadOneAsync(connection, catalogId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ReleaseRecord?> FindAsync(string catalogId, CancellationToken cancellationToken) =>
        (await SnapshotAsync(cancellationToken).ConfigureAwait(false)).Find(catalogId)?.ToRecord();

    public async Task<IReadOnlyList<ReleaseRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ReleaseRecord>(snapshot.Count);
        foreach (var row in snapshot)
        {
            list.Add(row.ToRecord());
        }

        return list;
    }

    /// <summary>
    /// Every release of a database this process does not own (the offline tools, beside a running agent): read from
    /// the database, not from a snapshot.
    /// </summary>
    public static async Task<IReadOnlyList<ReleaseRecord>> ListAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        var rows = await ReleaseRows.ReadAllAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToRecord())];
    }

    /// <summary>
    /// Reads the release, lets <paramref name="change"/> decide its new value (or null to leave it), and stores it,
    /// all under the write lock and in one transaction, with <paramref name="alongside"/> when it is stored.
    /// </summary>
    public Task<T> UpdateAsync<T>(string catalogId, Func<ReleaseRecord?, (ReleaseRecord? NewValue, T Result)> change, CancellationToken cancellationToken,
        ReleaseWriteAlongside? alongside = null) =>
        WriteAsync(async (connection, transaction, ct) =>
        {
            var before = FindInTransaction(catalogId);
            var (after, result) = change(before);
            if (after is not null && before is not null)
            {
                await SaveAsync(connection, transaction, after, ct).ConfigureAwait(false);
                foreach (var listener in _listeners)
                {
                    await listener.OnReleaseWrittenAsync(connection, transaction, before, after, ct).ConfigureAwait(false);
                }

                if (alongside is not null)
                {
                    await alongside(connection, transaction, ct).ConfigureAwait(false);
                }
            }

            return result;
        }, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one write transaction: for discovery, which adds, changes and removes many releases at once.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = await LoadLockedAsync(cancellationToken).ConfigureAwait(false);
            var attempts = 0;
            var committing = false;
            T result;
            try
            {
                // On a full disk the database gives back its space reserve and runs the work once more in a new
                // transaction: a move is always recorded. Each attempt starts from the snapshot, with nothing pending.
                result = await database.WriteAsync(async (connection, transaction, ct) =>
                {
                    attempts++;
                    committing = false;
                    _pending = new Dictionary<string, ReleaseRow?>(StringComparer.Ordinal);
                    var value = await work(connection, transaction, ct).ConfigureAwait(false);
                    committing = true;
                    return value;
                }, cancellationToken).ConfigureAwait(false);
            }
            catch when (committing)
            {
                // Whether the commit reached the disk is unknown: read the truth again before anyone reads.
                _snapshot = null;
                throw;
            }

            if (attempts > 1)
            {
                // A commit failed before this one did not: rolled back, but read the truth again rather than trust that.
                _snapshot = null;
            }
            else if (_pending is { Count: > 0 } written)
            {
                _snapshot = _lastKnown = snapshot.With(written);
            }

            return result;
        }
        finally
        {
            _pending = null;
            _writeLock.Release();
        }
    }

    /// <summary>The release as the running write transaction sees it (its own writes included). Only inside <see cref="WriteAsync{T}"/>.</summary>
    internal ReleaseRecord? FindInTransaction(string catalogId)
    {
        var pending = _pending ?? throw new InvalidOperationException("ReleaseStore.FindInTransaction runs inside WriteAsync; readers use the snapshot");
        return pending.TryGetValue(catalogId, out var written) ? written?.ToRecord() : _snapshot!.Find(catalogId)?.ToRecord();
    }

    /// <summary>The snapshot the running write transaction started from. Only inside <see cref="WriteAsync{T}"/>.</summary>
    internal ReleaseSnapshot SnapshotInTransaction =>
        _pending is not null ? _snapshot! : throw new InvalidOperationException("ReleaseStore.SnapshotInTransaction runs inside WriteAsync");

    /// <summary>Inserts or replaces the release row and its dependency edges (inside <see cref="WriteAsync{T}"/>).</summary>
    public Task SaveAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord release, CancellationToken cancellationToken) =>
        SaveAsync(connection, transaction, new ReleaseRow(release ?? throw new ArgumentNullException(nameof(release))), cancellationToken);

    internal async Task SaveAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRow row, CancellationToken cancellationToken)
    {
        var pending = _pending ?? throw new InvalidOperationException("ReleaseStore.SaveAsync runs inside WriteAsync");
        await ReleaseRows.SaveAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false);
        pending[row.CatalogId] = row;
    }

    /// <summary>Deletes the release row and its dependency edges (inside <see cref="WriteAsync{T}"/>).</summary>
    public async Task DeleteAsync(SqliteConnection connection, SqliteTransaction transaction, string catalogId, CancellationToken cancellationToken)
    {
        var pending = _pending ?? throw new InvalidOperationException("ReleaseStore.DeleteAsync runs inside WriteAsync");
        await ReleaseRows.DeleteAsync(connection, transaction, catalogId, cancellationToken).ConfigureAwait(false);
        pending[catalogId] = null;
    }

    /// <summary>
    /// Inserts or replaces the row through <paramref name="writer"/>'s statements (inside <see cref="WriteAsync{T}"/>): for
    /// discovery, which may write thousands of rows in one transaction.
    /// </summary>
    internal void Save(ReleaseRows.Writer writer, ReleaseRow row)
    {
        var pending = _pending ?? throw new InvalidOperationException("ReleaseStore.Save runs inside WriteAsync");
        writer.Save(row);
        pending[row.CatalogId] = row;
    }

    /// <summary>Deletes the row through <paramref name="writer"/>'s statements (inside <see cref="WriteAsync{T}"/>).</summary>
    internal void Delete(ReleaseRows.Writer writer, string catalogId)
    {
        var pending = _pending ?? throw new InvalidOperationException("ReleaseStore.Delete runs inside WriteAsync");
        writer.Delete(catalogId);
        pending[catalogId] = null;
    }

    private async Task<ReleaseSnapshot> LoadLockedAsync(CancellationToken cancellationToken)
    {
        if (_snapshot is { } loaded)
        {
            return loaded;
        }

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var noGc = await BulkLoad.StartAsync(connection, cancellationToken).ConfigureAwait(false);
        var snapshot = ReleaseSnapshot.Of(await ReleaseRows.ReadAllAsync(connection, null, cancellationToken).ConfigureAwait(false));
        _snapshot = _lastKnown = snapshot;
        return snapshot;
    }
}
