using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>
/// Many clients at once sending every lifecycle request over releases that share dependencies: no request ever gets a
/// 5xx, and once the storm is over every release ends where a person can act on it (and can then be delivered).
/// </summary>
public class DeliveryConcurrencyTests
{
    private static readonly string[] Dependencies = ["1.base@1.0.0", "2.runtime@1.0.0"];
    private static readonly string[] Roots = ["3.a@1.0.0", "4.b@1.0.0", "5.c@1.0.0", "6.d@1.0.0", "7.e@1.0.0"];
    private static readonly string[] Actions = ["start", "start", "pause", "resume", "cancel", "cancel", "delete", "status"];

    [Fact]
    public async Task Storm_MixedLifecycleRequestsOnSharedDependencies_No5xxAndEveryReleaseEndsActionable()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var files = new List<OriginFile>();
        var baseFile = s.Origin.AddFile("base.bin", 3_000_000, seed: 1);
        var runtime = s.Origin.AddFile("runtime.bin", 2_000_000, seed: 2);
        files.AddRange([baseFile, runtime]);
        s.Catalog.AddRaw(CatalogEntries.Http(Dependencies[0], baseFile, dependedOnBy: [.. Roots, Dependencies[1]]))
            .AddRaw(CatalogEntries.Http(Dependencies[1], runtime, dependedOnBy: [Roots[2], Roots[3], Roots[4]]));
        for (var i = 0; i < Roots.Length; i++)
        {
            var file = s.Origin.AddFile($"root{i}.bin", 300_000, seed: 10 + i);
            files.Add(file);
            s.Catalog.AddRaw(CatalogEntries.Http(Roots[i], file));
        }

        foreach (var file in files)
        {
            file.Faults.ThrottleBytesPerSecond = 2_000_000;
        }

        var settings = DeliveryScenario.FastRetries.DeepClone().AsObject();
        settings["maxParallelDeliveries"] = 3;
        await s.StartAgentAsync(settings);

        var all = Dependencies.Concat(Roots).ToArray();
        var statuses = new ConcurrentBag<(string Request, int Status, string Body)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (worker, ct) =>
        {
            var random = new Random(1000 + worker);
            using var client = new HttpClient { BaseAddress = s.Agent.BaseAddress, Timeout = TimeSpan.FromSeconds(90) };
            for (var i = 0; i < 50; i++)
            {
                var id = all[random.Next(all.Length)];
                var action = Actions[random.Next(Actions.Length)];
                var escaped = Uri.EscapeDataString(id);
                using var response = action switch
                {
                    "status" => await client.GetAsync($"/api/v2/device/releases/{escaped}", ct),
                    "delete" => await client.DeleteAsync($"/api/v2/delivery/{escaped}", ct),
                    _ => await client.PostAsync($"/api/v2/delivery/{action}/{escaped}", null, ct),
                };
                statuses.Add(($"{action} {id}", (int)response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
                if (random.Next(4) == 0)
                {
                    await Task.Delay(random.Next(30), ct);
                }
            }
        });

        var serverErrors = statuses.Where(x => x.Status >= 500).ToList();
        Assert.True(serverErrors.Count == 0, $"{serverErrors.Count} × 5xx, e.g. {string.Join("; ", serverErrors.Take(3).Select(e => $"{e.Request}: {e.Status} {e.Body}"))}");
        Assert.All(statuses.Where(x => x.Status >= 400), x => Assert.Contains(x.Status, new[] { 404, 409 }));

        // The storm is over: within a bounded time nothing looks busy without a run behind it.
        foreach (var file in files)
        {
            file.Faults.ThrottleBytesPerSecond = null;
        }

        foreach (var id in all)
        {
            await s.Agent.WaitForAsync(id, x => x.State != ReleaseState.Delivery || x.DeviceReleaseStatus is "Pause" or "Cancel" or "Error", TimeSpan.FromSeconds(60));
        }

        // ...and from wherever each one is, the obvious next request delivers it.
        foreach (var id in all)
        {
            var status = await s.Agent.Releases.FindAsync(id, CancellationToken.None);
            var next = status!.Position switch
            {
                { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Pause } => "resume",
                { State: ReleaseState.Downloaded } => null,
                _ => "start",
            };
            if (next is not null)
            {
                await s.ControlOkAsync(next, id);
            }
        }

        foreach (var id in all)
        {
            var done = await s.Agent.WaitForAsync(id, x => x.State == ReleaseState.Downloaded || x.DeviceReleaseStatus == "Error", TimeSpan.FromSeconds(60));
            Assert.True(done.State == ReleaseState.Downloaded, $"{id}: {done.DeviceReleaseStatus} {done.ErrMsg}");
        }
    }
}
