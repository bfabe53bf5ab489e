using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Storage;

/// <summary>Brings the database to the schema this binary knows, before the API answers anything.</summary>
public sealed partial class SchemaMigrator(AgentDatabase database, ILogger<SchemaMigrator> logger)
{
    public static int CurrentVersion => SchemaMigrations.All.Length;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var version = await GetVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        if (version > CurrentVersion)
        {
            throw new StoreException(
                $"The database {database.Path} was written by a newer agent (schema version {version}); this agent knows " +
                $"schema version {CurrentVersion}. Run the newer agent, or point --data-dir at another folder.");
        }

        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = SchemaMigrations.All[next - 1] + $";\nPRAGMA user_version = {next};";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            LogMigrated(next, database.Path);
        }
    }

    internal static async Task<int> GetVersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Database schema migrated to version {Version} ({Path})")]
    private partial void LogMigrated(int version, string path);
}
