using System.Net;
using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GetApp.Agent.IntegrationTests.Storage;

/// <summary>
/// <c>kill -9</c> at any moment: what the API showed before the kill is stored (no acknowledged change lost, nothing
/// shown that was not committed), and after the restart the API answers exactly what the database holds.
/// </summary>
public sealed class ReadModelCrashTests(ITestOutputHelper output)
{
    private const int Releases = 40;

    [Fact]
    public async Task Kill9WhileDeliveriesMove_ApiBeforeTheKillWasStored_AndAfterRestartApiIsTheDatabase()
    {
        using var catalog = new TestCatalog();
        using var data = new TempDirectory("getapp-readmodel-kill");
        var ids = Enumerable.Range(1, Releases).Select(i => $"{i}.crash-{i}@1.0.0").ToArray();
        foreach (var id in ids)
        {
            catalog.Add(id, isPush: true, files: new Dictionary<string, byte[]> { ["payload.bin"] = Encoding.UTF8.GetBytes($"payload of {id}") });
        }

        catalog.Write();
        var random = new Random(12);
        var cancelled = new HashSet<string>(StringComparer.Ordinal);
        StoredReleases? afterKill = null;
        for (var cycle = 0; cycle < 4; cycle++)
        {
            await using var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]);
            if (afterKill is not null)
            {
                await AssertAtRestAsShownAsync(agent, afterKill);
            }

            using var stop = new CancellationTokenSource();
            var seen = new Dictionary<string, DeviceReleaseStatusDto>(StringComparer.Ordinal);
            var watcher = WatchAsync(agent, seen, stop.Token);
            await Task.Delay(random.Next(100, 900));

            // A client cancels a delivery under way: once it is acknowledged (2xx), the database must hold it.
            var target = ids[random.Next(ids.Length)];
            using (var response = await agent.Client.PostAsync($"/api/v2/delivery/cancel/{Uri.EscapeDataString(target)}", null))
            {
                if (response.IsSuccessStatusCode)
                {
                    cancelled.Add(target);
                }
            }

            await Task.Delay(random.Next(0, 300));
            await agent.KillAsync();
            await stop.CancelAsync();
            await watcher;

            afterKill = await StoredReleases.ReadAsync(data.Path);
            output.WriteLine($"cycle {cycle}: {seen.Count} releases seen, {afterKill.All.Count(r => r.State == ReleaseState.Downloaded)} downloaded in the database, cancelled: {string.Join(", ", cancelled)}");
            foreach (var (id, shown) in seen)
            {
                var stored = afterKill.Find(id);
                Assert.True(stored is not null, $"{id} was shown ({shown.State}) but is not stored");
                if (cancelled.Contains(id))
                {
                    Assert.Equal((ReleaseState.Delivery, DeliveryStatus.Cancel), (stored!.State, stored.Position.DeliveryStatus));
                    continue;
                }

                Assert.True(Rank(stored!) >= Rank(shown), $"{id} was shown as {shown.State}/{shown.DeliveryState}/{shown.DeviceReleaseStatus}, the database holds {stored.Position}");
            }
        }

        // Let the last run finish everything, then the API and the database must agree byte for byte; and again after a kill at rest.
        await using (var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
        {
            await AssertAtRestAsShownAsync(agent, afterKill!);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            // Every release stored (on a busy machine the killed runs may not even have discovered the catalog), none busy.
            while ((await StoredReleases.ReadAsync(data.Path)).All is var all
                   && (all.Count < Releases || all.Any(r => r.State is ReleaseState.Push || r.Position.DeliveryStatus is DeliveryStatus.Start or DeliveryStatus.InProgress)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the deliveries did not finish:\n{agent.Output}");
                await Task.Delay(100);
            }

            await AssertApiIsTheDatabaseAsync(agent, await StoredReleases.ReadAsync(data.Path));
            await agent.KillAsync();
        }

        var final = await StoredReleases.ReadAsync(data.Path);
        Assert.Equal(Releases - cancelled.Count, final.All.Count(r => r.State == ReleaseState.Downloaded));
        await using (var agent = await AgentProcess.StartAsync(data.Path, ["--catalog", catalog.Path]))
        {
            await AssertApiIsTheDatabaseAsync(agent, final);
        }
    }

    /// <summary>Releases that nothing moves after a restart (delivered, cancelled) answer exactly their stored rows at once.</summary>
    private static async Task AssertAtRestAsShownAsync(AgentProcess agent, StoredReleases stored)
    {
        foreach (var release in stored.All.Where(r => r.State == ReleaseState.Downloaded || r.Position.DeliveryStatus == DeliveryStatus.Cancel))
        {
            var body = await agent.Client.GetByteArrayAsync($"/api/v2/device/releases/{Uri.EscapeDataString(release.CatalogId)}");
            AssertSameBytes(StoredReleases.StatusJson(release, null), body, $"status of {release.CatalogId} after the restart");
        }
    }

    private static async Task AssertApiIsTheDatabaseAsync(AgentProcess agent, StoredReleases stored)
    {
        foreach (var release in stored.All)
        {
            using var response = await agent.Client.GetAsync($"/api/v2/device/releases/{Uri.EscapeDataString(release.CatalogId)}");
            Assert.Equal(StoredReleases.IsOnDevice(release) ? HttpStatusCode.OK : HttpStatusCode.NotFound, response.StatusCode);
            if (StoredReleases.IsOnDevice(release))
            {
                AssertSameBytes(StoredReleases.StatusJson(release, null), await response.Content.ReadAsByteArrayAsync(), $"status of {release.CatalogId}");
            }
        }

        AssertSameBytes(stored.ListJson(new ReleaseProgressBoard()), await agent.Client.GetByteArrayAsync("/api/v2/device/releases"), "list");
        AssertSameBytes(stored.OfferingJson(), await agent.Client.GetByteArrayAsync("/api/v2/device/offering"), "offering");
    }

    /// <summary>Polls the list as a dashboard would, keeping the furthest position shown for each release.</summary>
    private static async Task WatchAsync(AgentProcess agent, Dictionary<string, DeviceReleaseStatusDto> seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var body = await agent.Client.GetByteArrayAsync("/api/v2/device/releases", stop);
                foreach (var status in JsonSerializer.Deserialize(body, AgentJson.Context.IReadOnlyListDeviceReleaseStatusDto)!)
                {
                    if (!seen.TryGetValue(status.Release.Id, out var before) || Rank(status) >= Rank(before))
                    {
                        seen[status.Release.Id] = status;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Killed mid-request, or stopping: what was seen before stands.
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }

    // How far along its delivery a pushed release is: a later position can only follow an earlier one.
    private static int Rank(ReleaseState state, DeliveryState? phase) => (state, phase) switch
    {
        (ReleaseState.Push, _) => 0,
        (ReleaseState.Delivery, DeliveryState.Prepare) => 1,
        (ReleaseState.Delivery, DeliveryState.Download) => 2,
        (ReleaseState.Delivery, DeliveryState.Validation) => 3,
        (ReleaseState.Downloaded, _) => 4,
        _ => throw new InvalidOperationException($"unexpected position {state}/{phase}"),
    };

    private static int Rank(ReleaseRecord release) => Rank(release.State, release.Position.DeliveryState);

    private static int Rank(DeviceReleaseStatusDto status) => Rank(status.State, status.DeliveryState);

    private static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            Assert.Fail($"{what} differs from the database.\nexpected: {Encoding.UTF8.GetString(expected)}\nactual:   {Encoding.UTF8.GetString(actual)}");
        }
    }
}
