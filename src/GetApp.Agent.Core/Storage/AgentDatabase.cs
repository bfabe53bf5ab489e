using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// The agent's SQLite file (<c>agent.db</c> in the data dir): opens connections with the pragmas every
/// connection needs. WAL lets the API read while an engine writes; FULL sync because a device may lose power
/// at any moment and a committed transition must survive it.
/// </summary>
public sealed class AgentDatabase
{
    public const string FileName = "agent.db";

    private readonly string _connectionString;

    public AgentDatabase(string dataDir)
    {
        Path = System.IO.Path.Combine(dataDir, FileName);
        Space = new DiskSpace(dataDir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>The data dir's disk, and the reserve that lets a write through when it is full.</summary>
    public DiskSpace Space { get; }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction. When the disk is full, the space reserve is given back and
    /// the transaction tried once more in that room: the agent can always record what happened (a failure above all).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var result = await work(connection, transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (Exception e) when (attempt == 0 && DiskSpace.IsDiskFull(e) && Space.Exhausted())
            {
                // Rolled back; the reserve is free now: once more.
            }
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
