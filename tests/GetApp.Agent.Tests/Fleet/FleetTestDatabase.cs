using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Fleet;

/// <summary>A migrated agent database in a temporary folder, and a clock the test moves.</summary>
internal sealed class FleetTestDatabase : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-fleet-{Guid.NewGuid():N}");

    private FleetTestDatabase()
    {
        Directory.CreateDirectory(_dir);
        Database = new AgentDatabase(_dir);
    }

    public AgentDatabase Database { get; }

    public ManualClock Clock { get; } = new();

    public static async Task<FleetTestDatabase> CreateAsync()
    {
        var test = new FleetTestDatabase();
        await new SchemaMigrator(test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return test;
    }

    /// <summary>Runs SQL on the database as another version of the agent might have left it.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    internal sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
