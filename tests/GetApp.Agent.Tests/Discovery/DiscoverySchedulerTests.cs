using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Tests.Discovery;

/// <summary>Discovery runs at start, then every live discoveryPeriodicIntervalMin; failures retry sooner with backoff.</summary>
public sealed class DiscoverySchedulerTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-sched-{Guid.NewGuid():N}");
    private readonly ManualTimeProvider _time = new();
    private readonly CountingUpstream _upstream = new();
    private LiveSettings _settings = null!;
    private DiscoveryScheduler _scheduler = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var database = new AgentDatabase(_dir);
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        _settings = new LiveSettings(database);
        await _settings.LoadAsync(CancellationToken.None);
        var discovery = new DiscoveryService(_upstream, new ReleaseStore(database, []), _time, NullLogger<DiscoveryService>.Instance);
        _scheduler = new DiscoveryScheduler(discovery, _settings, _time, NullLogger<DiscoveryScheduler>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _scheduler.StopAsync(CancellationToken.None);
        _scheduler.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Scheduler_LiveInterval_RunsAtStartThenEveryIntervalAndFollowsAChange()
    {
        await _scheduler.StartAsync(CancellationToken.None);
        await WaitForCallsAsync(1);

        await _time.AdvanceAsync(TimeSpan.FromMinutes(59));
        Assert.Equal(1, _upstream.Calls);
        await _time.AdvanceAsync(TimeSpan.FromMinutes(1));
        await WaitForCallsAsync(2);

        Assert.Null(await _settings.UpdateAsync(JsonNode.Parse("""{"discoveryPeriodicIntervalMin":5}""")!.AsObject(), CancellationToken.None));
        await _time.AdvanceAsync(TimeSpan.FromMinutes(5));
        await WaitForCallsAsync(3);
    }

    [Fact]
    public async Task Scheduler_UpstreamFails_RetriesAfter10Then20SecondsNotInATightLoop()
    {
        _upstream.Fail = true;
        await _scheduler.StartAsync(CancellationToken.None);
        await WaitForCallsAsync(1);

        await _time.AdvanceAsync(TimeSpan.FromSeconds(9));
        Assert.Equal(1, _upstream.Calls);
        await _time.AdvanceAsync(TimeSpan.FromSeconds(1));
        await WaitForCallsAsync(2);
        await _time.AdvanceAsync(TimeSpan.FromSeconds(19));
        Assert.Equal(2, _upstream.Calls);
        await _time.AdvanceAsync(TimeSpan.FromSeconds(1));
        await WaitForCallsAsync(3);
    }

    [Fact]
    public async Task Scheduler_HostNotStartedYet_FirstDiscoveryWaitsForIt()
    {
        var lifetime = new Lifetime();
        var database = new AgentDatabase(_dir);
        var discovery = new DiscoveryService(_upstream, new ReleaseStore(database, []), _time, NullLogger<DiscoveryService>.Instance);
        using var scheduler = new DiscoveryScheduler(discovery, _settings, _time, NullLogger<DiscoveryScheduler>.Instance, lifetime);

        await scheduler.StartAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.Equal(0, _upstream.Calls);

        lifetime.Start();
        await _upstream.WaitForCallsAsync(1);
        await scheduler.StopAsync(CancellationToken.None);
    }

    private sealed class Lifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _started = new();

        public CancellationToken ApplicationStarted => _started.Token;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void Start() => _started.Cancel();

        public void StopApplication()
        {
        }
    }

    /// <summary>Waits for the discoveries, then until the scheduler has armed its next timer (so time can move on).</summary>
    private async Task WaitForCallsAsync(int count)
    {
        await _upstream.WaitForCallsAsync(count);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!_time.HasArmedTimer)
        {
            Assert.True(DateTime.UtcNow < deadline, "the scheduler never waited for its next run");
            await Task.Delay(10);
        }
    }

    private sealed class CountingUpstream : IUpstream
    {
        private int _calls;

        public bool Fail { get; set; }
        public int Calls => Volatile.Read(ref _calls);
        public string Description => "counting";

        public Task<DiscoveryAnswer> DiscoverAsync(DiscoveryRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Fail ? Task.FromException<DiscoveryAnswer>(new UpstreamException("down")) : Task.FromResult(new DiscoveryAnswer([]));
        }

        public Task<PreparedDelivery> PrepareDeliveryAsync(string catalogId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public async Task WaitForCallsAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Calls < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"expected {count} discoveries, saw {Calls}");
                await Task.Delay(10);
            }

            Assert.Equal(count, Calls);
        }
    }

    /// <summary>A clock that only moves when told to, firing due timers.</summary>
    private sealed class ManualTimeProvider : TimeProvider
    {
        private readonly Lock _lock = new();
        private readonly List<ManualTimer> _timers = [];
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow()
        {
            lock (_lock)
            {
                return _now;
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, callback, state);
            timer.Change(dueTime, period);
            return timer;
        }

        public bool HasArmedTimer
        {
            get
            {
                lock (_lock)
                {
                    return _timers.Any(t => t.Due is not null);
                }
            }
        }

        public async Task AdvanceAsync(TimeSpan by)
        {
            List<ManualTimer> due;
            lock (_lock)
            {
                _now += by;
                due = _timers.Where(t => t.Due is { } d && d <= _now).ToList();
                foreach (var t in due)
                {
                    t.Due = null;
                }
            }

            foreach (var timer in due)
            {
                timer.Fire();
            }

            await Task.Delay(50);
        }

        private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
        {
            public DateTimeOffset? Due { get; set; }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                lock (owner._lock)
                {
                    Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                    if (!owner._timers.Contains(this))
                    {
                        owner._timers.Add(this);
                    }
                }

                return true;
            }

            public void Fire() => callback(state);

            public void Dispose()
            {
                lock (owner._lock)
                {
                    owner._timers.Remove(this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
