using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Reporting;

/// <summary>currentTime is strictly increasing even when the clock stands still or goes back, and survives a reopen.</summary>
public sealed class ReportOutboxTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-outbox-{Guid.NewGuid():N}");

    public ReportOutboxTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<DateTimeOffset> NextAsync(DateTimeOffset now)
    {
        var database = new AgentDatabase(_dir);
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync();
        var time = await ReportOutbox.NextCurrentTimeAsync(connection, transaction, now, CancellationToken.None);
        await transaction.CommitAsync();
        return time;
    }

    [Fact]
    public async Task NextCurrentTime_ClockStillOrBackwards_AlwaysLaterByAtLeastOneMillisecond()
    {
        await new SchemaMigrator(new AgentDatabase(_dir), NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var now = new DateTimeOffset(2026, 5, 1, 12, 0, 0, 0, TimeSpan.Zero).AddTicks(1234);

        var first = await NextAsync(now);
        var second = await NextAsync(now);
        var third = await NextAsync(now.AddMinutes(-5));
        var fourth = await NextAsync(now.AddSeconds(1));

        Assert.Equal(now.AddTicks(-1234), first); // whole milliseconds, as on the wire
        Assert.Equal(first.AddMilliseconds(1), second);
        Assert.Equal(first.AddMilliseconds(2), third);
        Assert.Equal(first.AddSeconds(1), fourth);
    }
}
