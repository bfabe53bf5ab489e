using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// The data dir opened and every release read while the host is still being built. With thousands of releases that
/// read is most of the start, and building the host (the other core's work meanwhile) does not need it. Only a
/// database already at this agent's schema version is read early: one that needs migrating, or that this early read
/// cannot read, is migrated and read in the usual order, so what a start reports for it does not change.
/// </summary>
public sealed class StorePreload
{
    private readonly Task<List<ReleaseRow>?> _rows;

    private StorePreload(DataDirectory directory, AgentDatabase database, Task opened, Task<List<ReleaseRow>?> rows)
    {
        Directory = directory;
        Database = database;
        Opened = opened;
        _rows = rows;
    }

    /// <summary>The data dir, locked by this process once <see cref="Opened"/> completes.</summary>
    public DataDirectory Directory { get; }

    public AgentDatabase Database { get; }

    /// <summary>Completes once the data dir is open and locked; faults as <see cref="DataDirectory.Open"/> throws.</summary>
    public Task Opened { get; }

    /// <summary>Starts opening the data dir and reading its releases on the thread pool.</summary>
    public static StorePreload Start(string dataDir)
    {
        var directory = new DataDirectory(dataDir);
        var database = new AgentDatabase(directory.Root);
        var opened = Task.Run(directory.Open);
        var rows = ReadAsync(opened, database);
        return new StorePreload(directory, database, opened, rows);
    }

    /// <summary>
    /// Every row as the store would read it, or null when they were not read early (the database needs migrating, or
    /// reading it failed: the usual load reads it again and reports what is wrong).
    /// </summary>
    public async Task<List<ReleaseRow>?> RowsAsync()
    {
        try
        {
            return await _rows.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The host will not start on it (its build failed): waits for the read and unlocks the data dir.</summary>
    public void Abandon()
    {
        try
        {
            _rows.Wait();
        }
        catch (AggregateException)
        {
            // Whatever the read met, nothing will use it.
        }

        Directory.Dispose();
    }

    private static async Task<List<ReleaseRow>?> ReadAsync(Task opened, AgentDatabase database)
    {
        // Nothing is read before the lock is held: another agent may be writing the same data dir until then.
        await opened.ConfigureAwait(false);
        await using var connection = await database.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        if (await SchemaMigrator.GetVersionAsync(connection, CancellationToken.None).ConfigureAwait(false) != SchemaMigrator.CurrentVersion)
        {
            return null;
        }

        using var noGc = await BulkLoad.StartAsync(connection, CancellationToken.None).ConfigureAwait(false);
        return await ReleaseRows.ReadAllAsync(connection, null, CancellationToken.None).ConfigureAwait(false);
    }
}
