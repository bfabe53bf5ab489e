using System.Globalization;
using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>
/// kill -9 at random moments. Each round takes one release (a throttled payload, eight small files, an installer and an
/// uninstaller that each take 2.5 s, a dependency shared with other rounds) through its life with six kills: two in
/// download (at random byte counts), one in validation (while its files are being moved into artsDirPath), one while
/// its installer runs, one while its uninstaller runs, and one idle or during start-up. After each kill the agent is
/// started again and the invariants are checked; the expected outcome of each phase is asserted too (a download
/// resumes and completes, an interrupted install is an Error with its reason and a retry installs, ...).
/// </summary>
public sealed class KillScenario : IScenario
{
    private const long SmallFileSize = 48 * 1024;
    private const int SmallFiles = 8;
    private static readonly TimeSpan RenameDelayTime = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan PhaseBound = TimeSpan.FromSeconds(180);

    public string Name => "kill";

    public async Task RunAsync(ChaosContext ctx)
    {
        await using var origin = await TestOrigin.StartAsync();
        var catalog = new ChaosCatalog(ctx.PathOf("catalog"));
        var marks = Directory.CreateDirectory(ctx.PathOf("marks")).FullName;
        var rate = ctx.Options.KillPayloadRate;
        var shared = new ChaosRelease[2];
        for (var i = 0; i < shared.Length; i++)
        {
            shared[i] = catalog.Add($"390.chaos-shared-{i}@1.0.0");
            var file = origin.AddFile($"shared-{i}.bin", 3 * 1024 * 1024, seed: 900 + i);
            file.Faults.ThrottleBytesPerSecond = rate;
            shared[i].Artifacts.Add(ChaosCatalog.Http(file));
        }

        var rounds = new List<(ChaosRelease Release, OriginFile Payload)>();
        for (var r = 1; r <= ctx.Options.KillRounds; r++)
        {
            var release = catalog.Add($"{300 + r}.chaos-round-{r}@1.0.0");
            var payload = origin.AddFile($"round-{r}.bin", ctx.Options.KillPayloadSize, seed: r);
            payload.Faults.ThrottleBytesPerSecond = rate;
            release.Artifacts.Add(ChaosCatalog.Http(payload));
            for (var i = 0; i < SmallFiles; i++)
            {
                release.Artifacts.Add(ChaosCatalog.Http(origin.AddFile($"round-{r}-part-{i}.bin", SmallFileSize + (i * 1000), seed: (1000 * r) + i)));
            }

            release.Artifacts.Add(catalog.Script(release, "install.sh", Scripts.Slow("install"), executable: true));
            release.Artifacts.Add(catalog.Script(release, "uninstall.sh", Scripts.Slow("uninstall"), executable: false));
            release.DependsOn.Add(shared[r % 2].Id);
            rounds.Add((release, payload));
        }

        catalog.Write();
        // Every rename waits a little (a preloaded library), so a kill can land while files are moved into artsDirPath.
        var renameDelay = RenameDelay.Build(ctx.PathOf("rename-delay"), RenameDelayTime, out var why);
        if (renameDelay is null)
        {
            ctx.Figures.Note(Name, $"validation kills rely on catching the short validation window by polling: {why}");
        }

        var launch = ctx.Launch("agent", ["--catalog", catalog.Dir], new Dictionary<string, string> { ["GETAPP_CHAOS_MARKS"] = marks })
            with { RenameDelay = renameDelay };
        var invariants = new Invariants(Name, ctx.Figures, catalog.Releases, marks);
        await using var agent = await ctx.StartAgentAsync(launch);
        await Configure(ctx, agent);
        var run = new Run(ctx, agent, invariants, catalog, origin, marks);

        foreach (var (release, payload) in rounds)
        {
            Console.WriteLine($"  kill: round {release.Id} (kills so far {ctx.Figures.Kills})");
            await run.RoundAsync(release, payload, shared);
        }

        // Every byte fetched, over the whole run: each file was delivered once.
        var fetched = origin.Log.Sum(r => r.BytesSent);
        var sizes = catalog.Releases.Values.SelectMany(r => r.Artifacts).Where(a => a.Origin is not null).Sum(a => a.Size);
        // Every resume started at the bytes on disk (checked per kill), so what was fetched twice is what the killed
        // agent had received but not yet written.
        var again = catalog.Releases.Values.SelectMany(r => r.Artifacts).Where(a => a.Origin is not null).DistinctBy(a => a.Name)
            .Sum(a => Math.Max(0, origin.BytesServed(a.Name) - a.Size));
        Console.WriteLine($"  kill: {fetched:N0} bytes fetched for {sizes:N0} bytes of artifacts ({(double)fetched / sizes:0.000}×); " +
            $"{again:N0} of them fetched again because a killed agent had received but not yet written them");
        if (fetched > sizes * 1.05)
        {
            ctx.Figures.Violation(Name, $"{fetched} bytes fetched for {sizes} bytes of artifacts (over 1.05×)");
        }

        var code = await agent.StopAsync(TimeSpan.FromSeconds(30));
        if (code is not 0)
        {
            ctx.Figures.Violation(Name, $"the agent did not stop cleanly on SIGTERM (exit code {code?.ToString(CultureInfo.InvariantCulture) ?? "none: killed after 30 s"})");
        }
    }

    private static async Task Configure(ChaosContext ctx, AgentUnderTest agent)
    {
        var (status, body) = await ctx.CallAsync(agent, HttpMethod.Put, "api/v2/agent/configs",
            """{"maxParallelDeliveries":2,"stallTimeoutSecs":15,"downloadRetryCount":10,"deliveryRetryDelaySecs":1,"deployTimeoutSec":120}""");
        if (status != 200)
        {
            throw new InvalidOperationException($"the settings were refused: {status} {body}");
        }
    }

    /// <summary>One kill run: the agent, its checks, and what the harness did to which release.</summary>
    private sealed class Run(ChaosContext ctx, AgentUnderTest agent, Invariants invariants, ChaosCatalog catalog, TestOrigin origin, string marks)
    {
        private readonly Figures _figures = ctx.Figures;
        private readonly List<(string File, DateTime At, long Persisted)> _downloadKills = [];
        private string Scenario => ctx.Scenario;

        public async Task RoundAsync(ChaosRelease release, OriginFile payload, ChaosRelease[] shared)
        {
            var id = release.Id;
            var closure = new HashSet<string>([id, .. release.DependsOn], StringComparer.Ordinal);
            var rnd = ctx.Random;

            // download: two kills at random byte counts of the payload; the agent must resume by itself each time.
            await Expect(HttpMethod.Post, $"api/v2/delivery/start/{id}", 200);
            var thresholds = new[] { rnd.NextDouble() * 0.3 + 0.15, rnd.NextDouble() * 0.35 + 0.55 };
            foreach (var fraction in thresholds)
            {
                var target = (long)(payload.Size * fraction);
                if (!await WaitUntil(() => ServedOf(payload) >= target, PhaseBound))
                {
                    _figures.Violation(Scenario, $"{id}: the download did not reach byte {target} (at {ServedOf(payload)}) within {PhaseBound.TotalSeconds:0} s; {await StatusText(id)}");
                    return;
                }

                // Once it is dead, its partial file holds exactly what it wrote: the resume must start there.
                await KillAndRestartAsync("download", closure, settle: false, afterKill: () => _downloadKills.Add((payload.Name, DateTime.UtcNow, PartialLength(payload))));
            }

            // validation: once the root is in validation its files are being moved into artsDirPath (each rename slowed by the preloaded delay).
            var seen = await WaitUntilAsync(async () => (await ReleaseStates.GetAsync(agent, id))?.DeliveryState is "validation" or "done", PhaseBound, TimeSpan.FromMilliseconds(10));
            var current = await ReleaseStates.GetAsync(agent, id);
            var window = (release.Artifacts.Count * 150 * 0.8);
            await Task.Delay(TimeSpan.FromMilliseconds(rnd.NextDouble() * window));
            var phase = current is { State: "delivery", DeliveryState: "validation" } && seen ? "validation" : "idle";
            if (phase != "validation")
            {
                _figures.Note(Scenario, $"{id}: the validation window was missed ({current}); that kill counts as idle");
            }

            var after = await KillAndRestartAsync(phase, closure, settle: true);
            var delivered = after?.FirstOrDefault(s => s.Id == id);
            if (delivered?.State != "downloaded")
            {
                _figures.Violation(Scenario, $"{id}: after the kills in delivery it should be downloaded, it is {delivered?.ToString() ?? "unknown"}");
                return;
            }

            CheckBytes(release);
            foreach (var dependency in release.DependsOn)
            {
                CheckBytes(catalog.Releases[dependency]);
            }

            // install: kill while the installer runs; the restart must say so (deploy/Error) and a retry must install.
            var installs = Pids(id, "install");
            await Expect(HttpMethod.Post, $"api/v2/deploy/start/{id}", 200);
            if (!await WaitUntil(() => Pids(id, "install") > installs, PhaseBound))
            {
                _figures.Violation(Scenario, $"{id}: the installer did not start; {await StatusText(id)}");
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(0.1 + (rnd.NextDouble() * 1.7)));
            after = await KillAndRestartAsync("install", closure, settle: true);
            var interrupted = after?.FirstOrDefault(s => s.Id == id);
            if (interrupted is not { State: "deploy", Status: "Error", ErrMsg.Length: > 0 })
            {
                _figures.Violation(Scenario, $"{id}: an install interrupted by kill -9 should end in deploy/Error with its reason, it is {interrupted?.ToString() ?? "unknown"}");
            }

            await Expect(HttpMethod.Post, $"api/v2/deploy/start/{id}", 200);
            if (await ReleaseStates.WaitForAsync(agent, id, s => s.State is "installed" || s.Status is "Error", PhaseBound) is not { State: "installed" })
            {
                _figures.Violation(Scenario, $"{id}: the retried install did not install it; {await StatusText(id)}");
                return;
            }

            // uninstall: the request waits for the uninstaller; kill while it runs.
            var uninstalls = Pids(id, "uninstall");
            var request = Task.Run(async () =>
            {
                try
                {
                    await agent.Client.PostAsync($"api/v2/deploy/uninstall/{Uri.EscapeDataString(id)}", null);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // The agent was killed under it.
                }
            });
            if (!await WaitUntil(() => Pids(id, "uninstall") > uninstalls, PhaseBound))
            {
                _figures.Violation(Scenario, $"{id}: the uninstaller did not start; {await StatusText(id)}");
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(0.1 + (rnd.NextDouble() * 1.7)));
            after = await KillAndRestartAsync("uninstall", closure, settle: true);
            await request;
            var state = after?.FirstOrDefault(s => s.Id == id);
            if (state?.State is not ("installed" or "uninstalled"))
            {
                _figures.Violation(Scenario, $"{id}: after a kill during its uninstall it should be installed or uninstalled, it is {state?.ToString() ?? "unknown"}");
            }

            if (state?.State == "installed")
            {
                await Expect(HttpMethod.Post, $"api/v2/deploy/uninstall/{id}", 200, TimeSpan.FromSeconds(120));
            }

            if ((await ReleaseStates.GetAsync(agent, id))?.State != "uninstalled")
            {
                _figures.Violation(Scenario, $"{id}: uninstalling again did not uninstall it; {await StatusText(id)}");
            }

            // idle, or during start-up (alternately).
            if (rnd.Next(2) == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(rnd.Next(0, 500)));
                await KillAndRestartAsync("idle", closure, settle: true);
            }
            else
            {
                var before = await ReleaseStates.ListAsyncOrEmpty(agent);
                await agent.KillAsync();
                _figures.Kill("idle");
                await agent.KillDuringStartAsync(TimeSpan.FromMilliseconds(rnd.Next(0, 400)));
                _figures.Kill("start-up");
                await RestartAndCheckAsync("start-up", before, closure, settle: true);
            }

            // Done with it: delete its delivery (the shared dependency stays).
            await Expect(HttpMethod.Delete, $"api/v2/delivery/{id}", 200);
        }

        /// <summary>SIGKILL, start again, check. Returns the statuses after settling (when <paramref name="settle"/>).</summary>
        private async Task<IReadOnlyList<ReleaseStatus>?> KillAndRestartAsync(string phase, ISet<string> actedOn, bool settle, Action? afterKill = null)
        {
            var before = await ReleaseStates.ListAsyncOrEmpty(agent);
            await agent.KillAsync();
            afterKill?.Invoke();

            _figures.Kill(phase);
            return await RestartAndCheckAsync(phase, before, actedOn, settle);
        }

        private async Task<IReadOnlyList<ReleaseStatus>?> RestartAndCheckAsync(string phase, IReadOnlyList<ReleaseStatus> before, ISet<string> actedOn, bool settle)
        {
            var when = $"after a kill in {phase} (#{_figures.Kills})";
            try
            {
                await agent.RestartAsync();
            }
            catch (AgentStartException e)
            {
                _figures.Violation(Scenario, $"{when}: the agent did not start again: {e.Message}");
                throw;
            }

            if (!settle)
            {
                invariants.CheckDatabase(agent.DataDir, when);
                return null;
            }

            return await invariants.CheckAsync(agent, when, before, actedOn);
        }

        /// <summary>
        /// Each resume after a kill in download starts at exactly the bytes the partial file held when the agent died
        /// (never from zero, never below them). Beyond that, the bytes the origin sent that the killed agent had not
        /// written yet (in its buffers or the kernel's when it died) are fetched again: that is what kill -9 costs, and
        /// it is printed apart at the end of the scenario, where the run-wide bound (1.05×) is checked.
        /// </summary>
        private void CheckBytes(ChaosRelease release)
        {
            foreach (var artifact in release.Artifacts.Where(a => a.Origin is not null))
            {
                var requests = origin.RequestsFor(artifact.Name);
                foreach (var (_, at, persisted) in _downloadKills.Where(k => k.File == artifact.Name))
                {
                    var resumed = requests.FirstOrDefault(r => r.At > at);
                    if (resumed is null || (resumed.RangeStart ?? 0) != persisted)
                    {
                        _figures.Violation(Scenario, $"{release.Id}: after a kill with {persisted} bytes of {artifact.Name} on disk, the download resumed at " +
                            $"{(resumed is null ? "no request" : $"byte {resumed.RangeStart ?? 0}")} instead of byte {persisted}");
                    }
                }
            }
        }

        /// <summary>The length of the payload's partial file (0 when there is none).</summary>
        private long PartialLength(OriginFile payload)
        {
            var partial = Path.Combine(agent.DataDir, "partial");
            return Directory.Exists(partial)
                ? Directory.EnumerateFiles(partial, payload.Name + ".part", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
                : 0;
        }

        private long ServedOf(OriginFile file) => origin.BytesServed(file.Name);

        private int Pids(string id, string what)
        {
            var path = Path.Combine(marks, $"{id}.{what}.pids");
            return File.Exists(path) ? File.ReadAllLines(path).Count(l => l.Length > 0) : 0;
        }

        private async Task Expect(HttpMethod method, string path, int expected, TimeSpan? timeout = null)
        {
            var (status, body) = await ctx.CallAsync(agent, method, path, timeout: timeout);
            if (status != expected)
            {
                _figures.Violation(Scenario, $"{method} {path} answered {status} (expected {expected}): {ReleaseStatus.Shorten(body)}");
            }
        }

        private async Task<string> StatusText(string id) => (await ReleaseStates.GetAsync(agent, id))?.ToString() ?? $"{id}: not in delivery";

        private static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan bound)
        {
            var deadline = DateTime.UtcNow + bound;
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false;
                }

                await Task.Delay(5);
            }

            return true;
        }

        private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan bound, TimeSpan every)
        {
            var deadline = DateTime.UtcNow + bound;
            while (!await condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false;
                }

                await Task.Delay(every);
            }

            return true;
        }
    }
}
