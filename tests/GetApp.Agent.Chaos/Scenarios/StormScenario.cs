using System.Collections.Concurrent;
using System.Diagnostics;
using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>
/// A concurrency storm: 20 clients × 200 mixed lifecycle requests (start, pause, resume, cancel, delete, deploy,
/// uninstall, reads) on five releases that share two dependencies, while their downloads run (throttled) and their
/// installers run. No request may get a 5xx; once the storm ends every release must reach a state a person can act on
/// within a bound, and starting each root again must deliver it (nothing wedged: no 409 for ever, no release that
/// looks busy with no run behind it).
/// </summary>
public sealed class StormScenario : IScenario
{
    // While the releases are being delivered: stops as often as starts (#9's defects 1 and 2 were found so).
    private static readonly (string Action, int Weight)[] DeliveryMix =
    [
        ("start", 24), ("pause", 12), ("resume", 12), ("cancel", 12), ("delete", 6), ("deploy", 8), ("uninstall", 6), ("status", 12), ("list", 8),
    ];

    // Once they are delivered: installs, uninstalls and deletes of releases sharing dependencies, and starts again.
    private static readonly (string Action, int Weight)[] DeployMix =
    [
        ("start", 14), ("cancel", 4), ("delete", 10), ("deploy", 30), ("uninstall", 22), ("status", 12), ("list", 8),
    ];

    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(180);

    public string Name => "storm";

    public async Task RunAsync(ChaosContext ctx)
    {
        await using var origin = await TestOrigin.StartAsync();
        var catalog = new ChaosCatalog(ctx.PathOf("catalog"));
        const long Rate = 8L * 1024 * 1024;
        var shared = new[] { ("D1", 3L * 1024 * 1024), ("D2", 1536L * 1024) }.Select((d, i) =>
        {
            var release = catalog.Add($"{490 + i}.storm-shared-{d.Item1.ToLowerInvariant()}@1.0.0");
            var file = origin.AddFile($"storm-{d.Item1}.bin", d.Item2, seed: 700 + i);
            file.Faults.ThrottleBytesPerSecond = Rate;
            release.Artifacts.Add(ChaosCatalog.Http(file));
            return release;
        }).ToArray();
        var roots = new List<ChaosRelease>();
        for (var r = 1; r <= 5; r++)
        {
            var release = catalog.Add($"{480 + r}.storm-root-{r}@1.0.0");
            var file = origin.AddFile($"storm-root-{r}.bin", 512L * 1024, seed: 800 + r);
            file.Faults.ThrottleBytesPerSecond = Rate;
            release.Artifacts.Add(ChaosCatalog.Http(file));
            release.Artifacts.Add(catalog.Script(release, "install.sh", Scripts.Slow("install", 3), executable: true));
            release.Artifacts.Add(catalog.Script(release, "uninstall.sh", Scripts.Slow("uninstall", 2), executable: false));
            // R1, R2, R3 need D1; R3, R4, R5 need D2 (R3 needs both).
            if (r <= 3)
            {
                release.DependsOn.Add(shared[0].Id);
            }

            if (r >= 3)
            {
                release.DependsOn.Add(shared[1].Id);
            }

            roots.Add(release);
        }

        catalog.Write();
        var marks = Directory.CreateDirectory(ctx.PathOf("marks")).FullName;
        await using var agent = await AgentUnderTest.StartAsync(
            ctx.Launch("agent", ["--catalog", catalog.Dir], new Dictionary<string, string> { ["GETAPP_CHAOS_MARKS"] = marks }));
        var (status, body) = await ctx.CallAsync(agent, HttpMethod.Put, "api/v2/agent/configs",
            """{"maxParallelDeliveries":2,"stallTimeoutSecs":15,"downloadRetryCount":5,"deliveryRetryDelaySecs":1,"deployTimeoutSec":60}""");
        if (status != 200)
        {
            throw new InvalidOperationException($"the settings were refused: {status} {body}");
        }

        var invariants = new Invariants(Name, ctx.Figures, catalog.Releases, marks);
        var perPhase = ctx.Options.StormRequestsPerThread / 2;
        for (var round = 1; round <= ctx.Options.StormRounds; round++)
        {
            // The deploy storm targets the shared dependencies rarely: deleting one keeps all its roots from installing.
            foreach (var (phase, mix, sharedPercent) in new[] { ("delivery", DeliveryMix, 20), ("deploy", DeployMix, 5) })
            {
                var label = $"round {round}, {phase} storm";
                await StormAsync(ctx, agent, roots, shared, mix, sharedPercent, perPhase, label);

                // Every release settles by itself, within the bound.
                var settling = Stopwatch.StartNew();
                var settled = await invariants.CheckAsync(agent, $"after the {label}");
                if (settled is null)
                {
                    return;
                }

                Console.WriteLine($"  storm: {label}: every release settled (and was checked) {settling.Elapsed.TotalSeconds:0.0} s after the last request: " +
                    string.Join(", ", settled.GroupBy(s => $"{s.State}/{s.Status}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}")));

                // And nothing is wedged: a person starting every root again gets it delivered.
                await DeliverAllAsync(ctx, agent, roots, settled);
                await invariants.CheckAsync(agent, $"after delivering every root again ({label})");
            }
        }

        await agent.StopAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// <see cref="ChaosOptions.StormThreads"/> clients each sending <paramref name="requests"/> requests drawn from
    /// <paramref name="mix"/>, on the roots mostly and on a shared dependency directly <paramref name="sharedPercent"/> %
    /// of the time (cancelling D under R1 and R2 was #9's first defect).
    /// </summary>
    private async Task StormAsync(ChaosContext ctx, AgentUnderTest agent, List<ChaosRelease> roots, ChaosRelease[] shared, (string Action, int Weight)[] mix, int sharedPercent,
        int requests, string label)
    {
        var answers = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var examples = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var seeds = Enumerable.Range(0, ctx.Options.StormThreads).Select(_ => ctx.Random.Next()).ToArray();
        await Task.WhenAll(seeds.Select(seed => Task.Run(async () =>
        {
            var rnd = new Random(seed);
            for (var i = 0; i < requests; i++)
            {
                var isShared = rnd.Next(100) < sharedPercent;
                var id = isShared ? shared[rnd.Next(shared.Length)].Id : roots[rnd.Next(roots.Count)].Id;
                var action = Pick(rnd, mix);
                if (isShared && action is "deploy" or "uninstall")
                {
                    // A dependency has no installer: deploying it on its own waits for a third-party installer's report
                    // (a settled state, but one that keeps every root from installing); it is read instead.
                    action = "status";
                }

                var (method, path) = Request(action, id);
                int code;
                try
                {
                    (code, var text) = await ctx.CallAsync(agent, method, path, timeout: TimeSpan.FromSeconds(90));
                    examples.TryAdd($"{action} {code}", ReleaseStatus.Shorten(text));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    ctx.Figures.Violation(Name, $"{method} {path}: no answer ({e.GetType().Name}: {e.Message})");
                    code = 0;
                }

                answers.AddOrUpdate($"{action} {code}", 1, (_, n) => n + 1);

                // A little think time, so that runs and installers make progress between the requests.
                await Task.Delay(rnd.Next(0, 30));
            }
        })));

        var summary = string.Join(", ", answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}×{a.Value}"));
        Console.WriteLine($"  storm: {label}: {answers.Values.Sum()} requests in {clock.Elapsed.TotalSeconds:0.0} s: {summary}");
        foreach (var (key, example) in examples.Where(e => !e.Key.EndsWith(" 200", StringComparison.Ordinal)))
        {
            Console.WriteLine($"    e.g. {key}: {example}");
        }
    }

    private static async Task DeliverAllAsync(ChaosContext ctx, AgentUnderTest agent, List<ChaosRelease> roots, IReadOnlyList<ReleaseStatus> settled)
    {
        foreach (var root in roots)
        {
            var state = settled.FirstOrDefault(s => s.Id == root.Id);
            if (state?.IsDelivered == true)
            {
                continue;
            }

            var action = state is { State: "delivery", Status: "Pause" } ? "resume" : "start";
            var (code, body) = await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/{action}/{Uri.EscapeDataString(root.Id)}");
            if (code != 200)
            {
                ctx.Figures.Violation(ctx.Scenario, $"{root.Id} ({state?.ToString() ?? "not in delivery"}): {action} after the storm answered {code}: {ReleaseStatus.Shorten(body)}");
            }
        }

        foreach (var root in roots)
        {
            var last = (ReleaseStatus?)null;
            var done = await ReleaseStates.WaitForAsync(agent, root.Id, s => s.IsDelivered || s.Status is "Error" or "Pause" or "Cancel", SettleBound, s => last = s);
            if (done?.IsDelivered != true)
            {
                ctx.Figures.Violation(ctx.Scenario, $"{root.Id}: started again after the storm, it was not delivered within {SettleBound.TotalSeconds:0} s: {(done ?? last)?.ToString() ?? "unknown"}");
            }
        }
    }

    private static string Pick(Random rnd, (string Action, int Weight)[] mix)
    {
        var n = rnd.Next(mix.Sum(m => m.Weight));
        foreach (var (action, weight) in mix)
        {
            if ((n -= weight) < 0)
            {
                return action;
            }
        }

        return mix[^1].Action;
    }

    private static (HttpMethod Method, string Path) Request(string action, string id)
    {
        var escaped = Uri.EscapeDataString(id);
        return action switch
        {
            "start" or "pause" or "resume" or "cancel" => (HttpMethod.Post, $"api/v2/delivery/{action}/{escaped}"),
            "delete" => (HttpMethod.Delete, $"api/v2/delivery/{escaped}"),
            "deploy" => (HttpMethod.Post, $"api/v2/deploy/start/{escaped}"),
            "uninstall" => (HttpMethod.Post, $"api/v2/deploy/uninstall/{escaped}"),
            "status" => (HttpMethod.Get, $"api/v2/device/releases/{escaped}"),
            _ => (HttpMethod.Get, "api/v2/device/releases"),
        };
    }
}
