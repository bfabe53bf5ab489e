using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Fleet;

public sealed class FleetMigrationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-migrate-{Guid.NewGuid():N}");

    public FleetMigrationTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AnInactivityHoursSetUnderItsFormerName_IsKeptUnderGetAppsName()
    {
        // A database as the parent of the previous release left it: schema 2, the setting under its former name.
        var database = new AgentDatabase(_dir);
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = SchemaMigrations.All[0] + ";\n" + SchemaMigrations.All[1] +
                ";\nINSERT INTO settings (key, value) VALUES ('parentInactiveDeviceHours', '6');\nPRAGMA user_version = 2;";
            await command.ExecuteNonQueryAsync();
        }

        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var settings = new LiveSettings(database);
        await settings.LoadAsync(CancellationToken.None);
        Assert.Equal(6, settings.Current.CdnInactiveAfterHours);
        Assert.Equal(30, settings.Current.CdnForgetAfterDays);
    }
}
