using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Delivery;

[Collection(TimingSensitive.Name)]
public class DeliveryProgressTests
{
    [Fact]
    public async Task Progress_ThrottledDownload_NonDecreasingWithSensibleEtaOnTheStatusApi()
    {
        const string Id = "5.app@1.0.0";
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 4_000_000, seed: 9);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync();
        await s.ControlOkAsync("start", Id);

        var samples = new List<(double? Progress, long? Eta, TimeSpan At)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var status = await s.Agent.WaitForAsync(Id, x =>
        {
            if (x.State == ReleaseState.Delivery)
            {
                samples.Add((x.Progress, x.Eta, clock.Elapsed));
            }

            return x.State == ReleaseState.Downloaded || x.DeviceReleaseStatus == "Error";
        });

        Assert.Equal(ReleaseState.Downloaded, status.State);
        Assert.Equal(100, status.Progress);
        Assert.Null(status.Eta);
        var progress = samples.Select(x => x.Progress ?? 0).ToList();
        Assert.All(progress, p => Assert.InRange(p, 0, 100));
        Assert.Equal(progress.OrderBy(p => p), progress);
        Assert.True(progress.Distinct().Count() >= 4, $"progress moved at least once a second: {string.Join(", ", progress.Distinct())}");
        // Once bytes have moved for a second the rate is known, and the ETA is close to the time that really was left
        // (at 1 MB/s the download takes 4 s; on a busy machine the throttled origin itself may go slower).
        var finished = clock.Elapsed;
        var withEta = samples.Where(x => x.Eta is not null).ToList();
        var trace = string.Join("; ", samples.Select(x => $"{x.At.TotalSeconds:0.0}s {x.Progress:0.#}% eta {x.Eta}"));
        Assert.True(withEta.Count > 0 && withEta[0].At < TimeSpan.FromSeconds(3), $"an ETA within 3 s: {trace}, finished at {finished.TotalSeconds:0.0}s");
        foreach (var (_, eta, at) in withEta)
        {
            var left = (finished - at).TotalSeconds;
            Assert.True(eta <= (2 * left) + 2 && eta >= (left / 2) - 2, $"ETA {eta} s at {at.TotalSeconds:0.0}s, {left:0.0} s were left: {trace}");
        }

        var gaps = samples.Zip(samples.Skip(1)).Where(p => p.First.Progress != p.Second.Progress).Select(p => p.Second.At).ToList();
        Assert.All(gaps.Zip(gaps.Skip(1)), g => Assert.True(g.Second - g.First < TimeSpan.FromSeconds(1.5), "updated at least once a second"));
    }

    [Fact]
    public async Task Progress_FourSecondDownload_StoredAtABoundedRateNotPerChunk()
    {
        const string Id = "5.app@1.0.0";
        var writes = new WriteCounter();
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 4_000_000, seed: 9);
        file.Faults.ThrottleBytesPerSecond = 1_000_000; // 4 s of small reads (the origin sends 50 KB every 50 ms)
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(configureServices: services => services.AddSingleton<IReleaseWriteListener>(writes));
        await s.ControlOkAsync("start", Id);

        Assert.Equal(ReleaseState.Downloaded, (await s.WaitDownloadedAsync(Id)).State);

        // 4 transitions (start, download, validation, done) + a progress save every 2 s + one when the run ends.
        Assert.InRange(writes.CountFor(Id), 4, 10);
    }

    private sealed class WriteCounter : IReleaseWriteListener
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new();

        public int CountFor(string catalogId) => _counts.GetValueOrDefault(catalogId);

        public Task OnReleaseWrittenAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord before, ReleaseRecord after, CancellationToken cancellationToken)
        {
            _counts.AddOrUpdate(after.CatalogId, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }
    }
}
