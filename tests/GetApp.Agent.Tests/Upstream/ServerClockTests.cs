using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Upstream;

/// <summary>The server's clock from its Date headers: bounded by each answer, narrowed across answers, reset when a clock moves.</summary>
public sealed class ServerClockTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-clock-{Guid.NewGuid():N}");

    public ServerClockTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Offset_BeforeAnyAnswer_IsUnknownAndTimesStayTheDevices()
    {
        var clock = new ServerClock(TimeProvider.System);

        Assert.Null(clock.Offset);
        Assert.Null(clock.Snapshot());
        Assert.Equal(T0, clock.ToServer(T0));
        Assert.Equal(T0, clock.ToServerUpperBound(T0));
    }

    [Fact]
    public void Observe_ServerTwoHoursAhead_EstimateWithinTheDateHeadersSecond_AndUpperBoundNeverBehind()
    {
        var clock = new ServerClock(TimeProvider.System);
        var truth = TimeSpan.FromHours(2) + TimeSpan.FromMilliseconds(300);

        // Sent at T0, answered 40 ms later; the server's Date is its time, truncated to the second.
        clock.Observe(T0, T0.AddMilliseconds(40), Truncate(T0.AddMilliseconds(20) + truth));

        var snapshot = clock.Snapshot()!;
        Assert.InRange(snapshot.Offset - truth, TimeSpan.FromMilliseconds(-600), TimeSpan.FromMilliseconds(600));
        Assert.InRange(snapshot.Uncertainty, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(521));
        Assert.True(clock.ToServerUpperBound(T0.AddMinutes(1)) >= T0.AddMinutes(1) + truth);
    }

    [Fact]
    public void Observe_ManyAnswers_IntervalNarrowsToAboutTheRoundTrip()
    {
        var clock = new ServerClock(TimeProvider.System);
        var truth = TimeSpan.FromMilliseconds(-4321);
        for (var i = 0; i < 40; i++)
        {
            var sent = T0.AddMilliseconds(i * 137);
            clock.Observe(sent, sent.AddMilliseconds(10), Truncate(sent.AddMilliseconds(5) + truth));
        }

        var snapshot = clock.Snapshot()!;
        Assert.InRange(snapshot.Uncertainty, TimeSpan.Zero, TimeSpan.FromMilliseconds(40));
        Assert.InRange(snapshot.Offset - truth, TimeSpan.FromMilliseconds(-40), TimeSpan.FromMilliseconds(40));
        Assert.True(clock.ToServerUpperBound(T0) >= T0 + truth);
    }

    [Fact]
    public void Observe_ServerClockChanged_OldIntervalReplaced()
    {
        var clock = new ServerClock(TimeProvider.System);
        clock.Observe(T0, T0.AddMilliseconds(10), Truncate(T0));
        clock.Observe(T0.AddSeconds(5), T0.AddSeconds(5).AddMilliseconds(10), Truncate(T0.AddSeconds(5).AddHours(3)));

        Assert.InRange(clock.Offset!.Value - TimeSpan.FromHours(3), TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Observe_DeviceClockSteppedBackDuringTheRequest_SampleIgnored()
    {
        var clock = new ServerClock(TimeProvider.System);

        clock.Observe(T0, T0.AddSeconds(-30), Truncate(T0));

        Assert.Null(clock.Offset);
    }

    [Fact]
    public async Task SaveAndLoad_NextRunStartsWithTheRememberedOffset_ThenTheFirstAnswerReplacesIt()
    {
        var database = new AgentDatabase(_dir);
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var before = new ServerClock(TimeProvider.System);
        before.Observe(T0, T0.AddMilliseconds(10), Truncate(T0.AddHours(2)));
        await before.SaveAsync(database, CancellationToken.None);

        var after = new ServerClock(TimeProvider.System);
        await after.LoadAsync(database, CancellationToken.None);
        Assert.InRange(after.Offset!.Value - before.Offset!.Value, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));
        Assert.True(after.ToServerUpperBound(T0) >= before.ToServerUpperBound(T0), "the remembered upper bound is never lower");

        after.Observe(T0, T0.AddMilliseconds(10), Truncate(T0.AddMinutes(-1)));
        Assert.InRange(after.Offset!.Value - TimeSpan.FromMinutes(-1), TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
    }

    private static DateTimeOffset Truncate(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
