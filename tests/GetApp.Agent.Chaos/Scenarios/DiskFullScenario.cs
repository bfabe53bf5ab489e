using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>
/// A full disk, on a small tmpfs holding the data dir: full before a delivery starts, and filled in the middle of one,
/// with a kill -9 and a restart while it is full. While full, changes may be refused with 507 and nothing else (no
/// other 5xx), reads still answer, and every release is in a state a person can act on; once space is freed, each
/// release is delivered (by itself or when started again) with the right bytes and no second download.
/// </summary>
public sealed class DiskFullScenario : IScenario
{
    private const long DiskSize = 48L * 1024 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private static readonly Func<int, string, bool> Full = ChaosContext.Documented(507, "InsufficientStorage");

    public string Name => "disk";

    public async Task RunAsync(ChaosContext ctx)
    {
        if (SmallDisk.WhyNot() is { } why)
        {
            throw new ScenarioSkippedException(why);
        }

        await using var origin = await TestOrigin.StartAsync();
        var catalog = new ChaosCatalog(ctx.PathOf("catalog"));
        var before = catalog.Add("460.disk-before@1.0.0");
        var beforeFile = origin.AddFile("disk-before.bin", 6L * 1024 * 1024, seed: 46);
        before.Artifacts.Add(ChaosCatalog.Http(beforeFile));
        var during = catalog.Add("461.disk-during@1.0.0");
        var duringFiles = Enumerable.Range(0, 4).Select(i => origin.AddFile($"disk-during-{i}.bin", 4L * 1024 * 1024, seed: 460 + i)).ToList();
        foreach (var file in duringFiles)
        {
            file.Faults.ThrottleBytesPerSecond = 4L * 1024 * 1024;
            during.Artifacts.Add(ChaosCatalog.Http(file));
        }

        catalog.Write();
        using var disk = SmallDisk.Mount(ctx.PathOf("disk"), DiskSize);
        var invariants = new Invariants(Name, ctx.Figures, catalog.Releases);
        var launch = ctx.Launch("agent", ["--catalog", catalog.Dir], dataDir: Path.Combine(disk.Path, "data"));
        var agent = await AgentUnderTest.StartAsync(launch);
        try
        {
            await ctx.CallAsync(agent, HttpMethod.Put, "api/v2/agent/configs", """{"stallTimeoutSecs":10,"downloadRetryCount":3,"deliveryRetryDelaySecs":1}""");

            // Full before the delivery starts: refused with 507, or accepted and ended in Error saying why.
            disk.Fill();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var (start, body) = await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/start/{before.Id}", documented: Full);
            Console.WriteLine($"  disk: full ({disk.Available} bytes free): start answered {start} {ReleaseStatus.Shorten(body)}");
            if (start is not (507 or 200))
            {
                ctx.Figures.Violation(Name, $"start on a full disk answered {start}: {body}");
            }

            await CheckWhileFullAsync(ctx, agent, invariants, "full before the delivery");
            disk.Free();
            Console.WriteLine($"  disk: space freed ({disk.Available} bytes free)");
            await DeliveredAsync(ctx, agent, before, "after the disk was full before its start");

            // Filled in the middle of a delivery (its second of four files), then a kill -9 and a restart on the full disk.
            await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/start/{during.Id}");
            var deadline = DateTime.UtcNow + Bound;
            while (origin.BytesServed(duringFiles[1].Name) < 1024 * 1024 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            disk.Fill();
            Console.WriteLine($"  disk: filled during the delivery ({origin.BytesServed(duringFiles[1].Name)} bytes of its second file served)");
            await CheckWhileFullAsync(ctx, agent, invariants, "filled during a delivery");
            await agent.KillAsync();
            ctx.Figures.Kill("download");
            try
            {
                await agent.RestartAsync();
            }
            catch (AgentStartException e)
            {
                ctx.Figures.Violation(Name, $"the agent did not start again on a full disk: {e.Message}");
                disk.Free();
                await agent.RestartAsync();
            }

            await CheckWhileFullAsync(ctx, agent, invariants, "after a kill -9 and a restart on the full disk");
            disk.Free();
            Console.WriteLine($"  disk: space freed ({disk.Available} bytes free)");
            await DeliveredAsync(ctx, agent, during, "after the disk filled during its download");
            var fetched = duringFiles.Sum(f => origin.BytesServed(f.Name));
            var sizes = duringFiles.Sum(f => f.Size);
            Console.WriteLine($"  disk: {fetched:N0} bytes fetched for {sizes:N0} bytes of artifacts ({(double)fetched / sizes:0.000}×)");
            if (fetched > sizes * 1.05)
            {
                ctx.Figures.Violation(Name, $"{fetched} bytes fetched for {sizes} bytes of artifacts (over 1.05×): the bytes kept through the full disk were fetched again");
            }

            await invariants.CheckAsync(agent, "at the end");
        }
        finally
        {
            // The disk is unmounted only once nothing of the agent holds it.
            await agent.KillAsync();
            await agent.DisposeAsync();
        }
    }

    /// <summary>While full: reads answer 200, a change answers 200 or 507 (nothing else), every release is settled.</summary>
    private async Task CheckWhileFullAsync(ChaosContext ctx, AgentUnderTest agent, Invariants invariants, string when)
    {
        var (read, _) = await ctx.CallAsync(agent, HttpMethod.Get, "api/v2/device/releases");
        var (change, body) = await ctx.CallAsync(agent, HttpMethod.Put, "api/v2/agent/configs", """{"stallTimeoutSecs":11}""", documented: Full);
        if (read != 200 || change is not (200 or 507))
        {
            ctx.Figures.Violation(Name, $"{when}: reads answered {read}, a change {change} ({ReleaseStatus.Shorten(body)}); expected 200, and 200 or 507");
        }

        var settled = await invariants.CheckAsync(agent, $"{when} (disk full)");
        foreach (var status in settled ?? [])
        {
            Console.WriteLine($"  disk: {when}: {status}");
        }
    }

    /// <summary>Once space is back the release is delivered: by itself (a delivery stopped by the full disk) or when started again.</summary>
    private async Task DeliveredAsync(ChaosContext ctx, AgentUnderTest agent, ChaosRelease release, string when)
    {
        var resumed = await ReleaseStates.WaitForAsync(agent, release.Id, s => s.IsDelivered, TimeSpan.FromSeconds(20));
        if (resumed is null)
        {
            var state = await ReleaseStates.GetAsync(agent, release.Id);
            Console.WriteLine($"  disk: {when}: not delivered by itself ({state?.ToString() ?? "not in delivery"}); starting it again");
            var (code, body) = await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/start/{release.Id}");
            if (code != 200)
            {
                ctx.Figures.Violation(Name, $"{when}: start once space was back answered {code}: {ReleaseStatus.Shorten(body)}");
            }

            resumed = await ReleaseStates.WaitForAsync(agent, release.Id, s => s.IsDelivered || s.Status == "Error", Bound);
        }
        else
        {
            Console.WriteLine($"  disk: {when}: delivered by itself once space was back");
        }

        if (resumed?.IsDelivered != true)
        {
            ctx.Figures.Violation(Name, $"{when}: {release.Id} was not delivered once space was back: {resumed?.ToString() ?? (await ReleaseStates.GetAsync(agent, release.Id))?.ToString()}");
        }
    }
}
