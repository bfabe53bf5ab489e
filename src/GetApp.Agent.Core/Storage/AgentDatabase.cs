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
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

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
