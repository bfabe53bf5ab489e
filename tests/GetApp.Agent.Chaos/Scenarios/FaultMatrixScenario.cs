using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>
/// The upstream fault matrix: one release per fault, all delivered at once by one agent. Each must end delivered with
/// the right bytes, or in Error with a message that says what went wrong; never with corrupt or partial files in
/// artsDirPath, and never with a URL's secret (query string, user info) in a message or a log line. Then every origin
/// heals and each release that ended in Error is started again: it must be delivered (an Error a person can act on).
/// </summary>
public sealed class FaultMatrixScenario : IScenario
{
    private const string Secret = "chaos-presigned-secret";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);

    public string Name => "faults";

    public async Task RunAsync(ChaosContext ctx)
    {
        await using var origin = await TestOrigin.StartAsync();
        await using var liar = new LyingOrigin();
        var catalog = new ChaosCatalog(ctx.PathOf("catalog"));
        var cases = new List<FaultCase>();
        var seed = 100;
        const long Size = 1536 * 1024;

        OriginFile File(string name, long size = Size) => origin.AddFile(name, size, seed: ++seed);

        // Adds a release with one artifact; the URL carries a presigned-looking query that must never be shown.
        FaultCase Add(string name, Outcome outcome, string? message, ChaosArtifact artifact, Func<long> injected, Action? heal = null, Func<string?>? check = null)
        {
            var release = catalog.Add($"{500 + cases.Count}.fault-{name}@1.0.0");
            release.Artifacts.Add(artifact);
            var @case = new FaultCase(name, release, outcome, message, injected, heal, check);
            cases.Add(@case);
            return @case;
        }

        string Signed(Uri url) => $"{url}?X-Amz-Signature={Secret}&X-Amz-Credential=chaos";

        // Transient faults: the agent must get through them by itself.
        var reset = liar.Add(File("reset.bin"), LyingFault.Reset, times: 2, atByte: Size / 3);
        Add("reset", Outcome.Delivered, null, ChaosCatalog.Http(reset.File, Signed(reset.Url)), () => reset.FaultsInjected,
            check: () => reset.Requests.Skip(1).All(r => r.RangeStart > 0) ? null : "a retry after a reset did not resume with Range");

        foreach (var (code, times) in new[] { (500, 2), (502, 1), (503, 2) })
        {
            var file = File($"http{code}.bin");
            file.Faults.FailStatus = code;
            file.Faults.FailTimes = times;
            Add($"http{code}", Outcome.Delivered, null, ChaosCatalog.Http(file, Signed(file.Url)), () => Math.Min(times, origin.RequestsFor(file.Name).Count),
                check: () => BytesWithin(origin, file));
        }

        var busy = liar.Add(File("busy.bin"), LyingFault.TooManyRequests, times: 1, retryAfterSeconds: 3);
        Add("429-retry-after", Outcome.Delivered, null, ChaosCatalog.Http(busy.File, Signed(busy.Url)), () => busy.FaultsInjected,
            check: () => busy.Requests is [var first, var second, ..] && second.At - first.At < TimeSpan.FromSeconds(2.8)
                ? $"asked again {(second.At - first.At).TotalSeconds:0.0} s after a 429 with Retry-After: 3"
                : null);

        var stall = File("stall.bin");
        stall.Faults.StallAfterBytes = Size / 2;
        stall.Faults.StallTimes = 1;
        Add("stall", Outcome.Delivered, null, ChaosCatalog.Http(stall, Signed(stall.Url)), () => Math.Min(1, origin.RequestsFor(stall.Name).Count),
            check: () => origin.RequestsFor(stall.Name) is [_, { RangeStart: > 0 }, ..] ? BytesWithin(origin, stall) : "after the stall the download did not resume with Range");

        var trickle = File("trickle.bin", 320 * 1024);
        trickle.Faults.ThrottleBytesPerSecond = 64 * 1024;
        Add("trickle", Outcome.Delivered, null, ChaosCatalog.Http(trickle, Signed(trickle.Url)), () => 1, check: () => BytesWithin(origin, trickle));

        var cut = File("cut.bin");
        cut.Faults.CutAfterBytes = Size / 4;
        Add("truncated-every-time", Outcome.Delivered, null, ChaosCatalog.Http(cut, Signed(cut.Url)), () => Math.Max(0, origin.RequestsFor(cut.Name).Count - 1),
            check: () => origin.RequestsFor(cut.Name).Skip(1).All(r => r.RangeStart > 0) ? null : "a retry after a cut connection did not resume with Range");

        var ignored = File("range-ignored.bin");
        ignored.Faults.IgnoreRange = true;
        ignored.Faults.CutAfterBytes = Size / 2;
        ignored.Faults.CutTimes = 1;
        Add("range-ignored", Outcome.Delivered, null, ChaosCatalog.Http(ignored, Signed(ignored.Url)), () => 2);

        var longer = liar.Add(File("longer.bin"), LyingFault.LongerContentLength);
        Add("content-length-too-long", Outcome.DeliveredOrError, null, ChaosCatalog.Http(longer.File, Signed(longer.Url)), () => longer.FaultsInjected, heal: longer.Heal);

        var shorter = liar.Add(File("shorter.bin"), LyingFault.ShorterContentLength);
        Add("content-length-too-short", Outcome.DeliveredOrError, null, ChaosCatalog.Http(shorter.File, Signed(shorter.Url)), () => shorter.FaultsInjected, heal: shorter.Heal);

        var moved = File("moved.bin");
        Add("redirect", Outcome.Delivered, null, ChaosCatalog.Http(moved, Signed(new Uri(origin.BaseAddress, $"redirect/{moved.Name}"))), () => 1,
            check: () => BytesWithin(origin, moved));

        var once403 = File("expired-once.bin");
        once403.Faults.ForbiddenTimes = 1;
        Add("403-once", Outcome.Delivered, null, ChaosCatalog.Http(once403, Signed(once403.Url)), () => 1, check: () => BytesWithin(origin, once403));

        // Faults that do not go away: a clear Error, nothing corrupt; the retry after healing delivers.
        var down = File("down.bin");
        down.Faults.FailStatus = 503;
        down.Faults.FailTimes = int.MaxValue;
        Add("503-always", Outcome.Error, "HTTP 503", ChaosCatalog.Http(down, Signed(down.Url)), () => origin.RequestsFor(down.Name).Count(r => r.Status == 503),
            heal: () => down.Faults.FailTimes = 0);

        var loop = liar.Add(File("loop.bin"), LyingFault.RedirectLoop);
        Add("redirect-loop", Outcome.Error, "redirects", ChaosCatalog.Http(loop.File, Signed(loop.Url)), () => loop.FaultsInjected, heal: loop.Heal);

        var forbidden = File("forbidden.bin");
        forbidden.Faults.ForbiddenTimes = int.MaxValue;
        Add("403-always", Outcome.Error, "403", ChaosCatalog.Http(forbidden, Signed(forbidden.Url)), () => origin.RequestsFor(forbidden.Name).Count(r => r.Status == 403),
            heal: () => forbidden.Faults.ForbiddenTimes = 0);

        var missing = File("missing.bin", 64 * 1024);
        Add("404", Outcome.Error, "404", ChaosCatalog.Http(missing, Signed(new Uri(origin.BaseAddress, "files/not-there.bin"))) with { Origin = null }, () => 1);

        var gone = File("gone.bin");
        gone.Faults.FailStatus = 410;
        gone.Faults.FailTimes = int.MaxValue;
        Add("410", Outcome.Error, "410", ChaosCatalog.Http(gone, Signed(gone.Url)), () => origin.RequestsFor(gone.Name).Count(r => r.Status == 410),
            heal: () => gone.Faults.FailTimes = 0);

        var wrong = File("wrong-hash.bin");
        Add("wrong-hash", Outcome.Error, "mismatch", ChaosCatalog.Http(wrong, Signed(wrong.Url), declaredSha256Hex: Convert.ToHexStringLower(SHA256.HashData("not these bytes"u8))), () => 1);

        var flipped = liar.Add(File("flipped.bin"), LyingFault.FlippedByte);
        Add("byte-flipped-on-the-way", Outcome.Error, "mismatch", ChaosCatalog.Http(flipped.File, Signed(flipped.Url)), () => flipped.FaultsInjected, heal: flipped.Heal);

        var truncatedFile = File("truncated-file.bin");
        truncatedFile.Faults.ShortBy = 4096;
        Add("file-shorter-than-declared", Outcome.Error, "size mismatch", ChaosCatalog.Http(truncatedFile, Signed(truncatedFile.Url)), () => 1,
            heal: () => truncatedFile.Faults.ShortBy = 0);

        var longerFile = File("longer-file.bin");
        longerFile.Faults.ExtraBytes = 4096;
        Add("file-longer-than-declared", Outcome.Error, "more than the expected", ChaosCatalog.Http(longerFile, Signed(longerFile.Url)), () => 1,
            heal: () => longerFile.Faults.ExtraBytes = 0);

        var garbage = liar.Add(File("garbage.bin"), LyingFault.Garbage);
        Add("not-http", Outcome.Error, null, ChaosCatalog.Http(garbage.File, Signed(garbage.Url)), () => garbage.FaultsInjected, heal: garbage.Heal);

        var silent = liar.Add(File("silent.bin"), LyingFault.Silent);
        Add("accepts-never-answers", Outcome.Error, "stalled", ChaosCatalog.Http(silent.File, Signed(silent.Url)), () => silent.FaultsInjected, heal: silent.Heal);

        var refusedPort = FreePort();
        var refused = File("refused.bin", 64 * 1024);
        Add("connection-refused", Outcome.Error, "cannot reach", ChaosCatalog.Http(refused, Signed(new Uri($"http://127.0.0.1:{refusedPort}/files/{refused.Name}"))) with { Origin = null }, () => 1);

        catalog.Write();
        await using var agent = await AgentUnderTest.StartAsync(ctx.Launch("agent", ["--catalog", catalog.Dir]));
        var (status, body) = await ctx.CallAsync(agent, HttpMethod.Put, "api/v2/agent/configs",
            """{"maxParallelDeliveries":16,"stallTimeoutSecs":3,"downloadRetryCount":3,"deliveryRetryDelaySecs":1,"deliveryTimeoutMins":5}""");
        if (status != 200)
        {
            throw new InvalidOperationException($"the settings were refused: {status} {body}");
        }

        foreach (var @case in cases)
        {
            await Start(ctx, agent, @case.Release.Id);
        }

        var invariants = new Invariants(Name, ctx.Figures, catalog.Releases);
        var settled = await invariants.CheckAsync(agent, "after the fault matrix") ?? [];
        var byId = settled.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var healable = new List<FaultCase>();
        foreach (var @case in cases)
        {
            ctx.Figures.Fault(@case.Injected());
            var state = byId.GetValueOrDefault(@case.Release.Id);
            var delivered = state?.State == "downloaded";
            var failed = state is { State: "delivery", Status: "Error" };
            var verdict = (@case.Outcome, delivered, failed) switch
            {
                (Outcome.Delivered, true, _) or (Outcome.Error, _, true) or (Outcome.DeliveredOrError, true, _) or (Outcome.DeliveredOrError, _, true) => null,
                _ => $"expected {@case.Outcome}, it is {state?.ToString() ?? "not in delivery"}",
            };
            if (verdict is null && failed && @case.Message is { } fragment && state!.ErrMsg?.Contains(fragment, StringComparison.OrdinalIgnoreCase) != true)
            {
                verdict = $"its errMsg should say '{fragment}': {state.ErrMsg}";
            }

            if (verdict is null && @case.Check?.Invoke() is { } problem)
            {
                verdict = problem;
            }

            if (failed && Directory.Exists(Path.Combine(agent.DataDir, "comps")) &&
                Directory.EnumerateDirectories(Path.Combine(agent.DataDir, "comps")).Any(d => Path.GetFileName(d).StartsWith(@case.Release.Id.Split('@')[0], StringComparison.Ordinal)))
            {
                verdict ??= "it failed, but has a folder in comps/";
            }

            Console.WriteLine($"  faults: {@case.Name,-28} {(state is null ? "?" : $"{state.State}/{state.Status}"),-22} {Shorten(state?.ErrMsg)}");
            if (verdict is not null)
            {
                ctx.Figures.Violation(Name, $"{@case.Name} ({@case.Release.Id}): {verdict}");
            }

            if (failed && @case.Heal is not null)
            {
                healable.Add(@case);
            }
        }

        CheckNoSecret(ctx, agent, settled);

        // The cause goes away; a person starts it again: it must be delivered.
        foreach (var @case in healable)
        {
            @case.Heal!();
            await Start(ctx, agent, @case.Release.Id);
        }

        if (healable.Count > 0)
        {
            var after = await invariants.CheckAsync(agent, "after healing the origins and starting the failed releases again") ?? [];
            foreach (var @case in healable)
            {
                var state = after.FirstOrDefault(s => s.Id == @case.Release.Id);
                if (state?.State != "downloaded")
                {
                    ctx.Figures.Violation(Name, $"{@case.Name}: started again once the origin healed, it is {state?.ToString() ?? "unknown"} instead of downloaded");
                }
            }

            Console.WriteLine($"  faults: {healable.Count} release(s) in Error started again after healing; all delivered unless a violation says otherwise");
        }
    }

    private static async Task Start(ChaosContext ctx, AgentUnderTest agent, string id)
    {
        var (status, body) = await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/start/{Uri.EscapeDataString(id)}");
        if (status != 200)
        {
            ctx.Figures.Violation(ctx.Scenario, $"POST /api/v2/delivery/start/{id} answered {status}: {ReleaseStatus.Shorten(body)}");
        }
    }

    /// <summary>No release, notification or log line shows the presigned query string.</summary>
    private void CheckNoSecret(ChaosContext ctx, AgentUnderTest agent, IReadOnlyList<ReleaseStatus> settled)
    {
        foreach (var state in settled.Where(s => s.ErrMsg?.Contains(Secret, StringComparison.Ordinal) == true))
        {
            ctx.Figures.Violation(Name, $"{state.Id}: errMsg shows the URL's query string: {state.ErrMsg}");
        }

        if (System.IO.File.Exists(agent.Launch.LogPath) && System.IO.File.ReadAllText(agent.Launch.LogPath).Contains(Secret, StringComparison.Ordinal))
        {
            ctx.Figures.Violation(Name, $"the agent's log shows a URL's query string ({agent.Launch.LogPath})");
        }
    }

    /// <summary>Null when the origin served at most 1.05× the file (a transient fault cost no second download).</summary>
    private static string? BytesWithin(TestOrigin origin, OriginFile file)
    {
        var served = origin.BytesServed(file.Name);
        return served <= file.Size * 1.05 ? null : $"{served} bytes fetched for a {file.Size}-byte file (over 1.05×)";
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 110 ? text : text[..110] + "…";

    private enum Outcome
    {
        Delivered,
        Error,
        DeliveredOrError,
    }

    private sealed record FaultCase(string Name, ChaosRelease Release, Outcome Outcome, string? Message, Func<long> Injected, Action? Heal, Func<string?>? Check);
}
