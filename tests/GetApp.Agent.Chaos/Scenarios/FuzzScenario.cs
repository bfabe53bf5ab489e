using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>
/// Fuzzes every route of the OpenAPI document the agent serves (so a new route is fuzzed without touching this file):
/// hostile ids, query values and headers, bodies shaped from each route's schema and then broken. The inputs come from
/// the run's seed (fixed in CI, random in the long form). No answer may be a 5xx from the agent's code, and every error
/// must be an AppError <c>{message, name, statusCode}</c> whose statusCode is the status. Afterwards the agent must still
/// answer, its database be intact, and it must start again on what the fuzzer left behind.
/// </summary>
public sealed class FuzzScenario : IScenario
{
    private const int Workers = 4;

    public string Name => "fuzz";

    public async Task RunAsync(ChaosContext ctx)
    {
        await using var origin = await TestOrigin.StartAsync();
        var catalog = new ChaosCatalog(ctx.PathOf("catalog"));
        var dependency = catalog.Add("470.fuzz-runtime@1.0.0");
        dependency.Artifacts.Add(catalog.Local(dependency, "runtime.bin", Encoding.UTF8.GetBytes(new string('r', 40_000))));
        var app = catalog.Add("471.fuzz-app@1.0.0");
        app.Artifacts.Add(catalog.Local(app, "app.bin", Encoding.UTF8.GetBytes(new string('a', 60_000))));
        app.Artifacts.Add(catalog.Script(app, "install.sh", Scripts.Quick("install"), executable: true));
        app.DependsOn.Add(dependency.Id);
        var remote = catalog.Add("472.fuzz-remote@1.0.0");
        remote.Artifacts.Add(ChaosCatalog.Http(origin.AddFile("fuzz-remote.bin", 256 * 1024, seed: 47)));
        var pushed = catalog.Add("473.fuzz-pushed@1.0.0", isPush: true);
        pushed.Artifacts.Add(catalog.Local(pushed, "pushed.bin", Encoding.UTF8.GetBytes("pushed")));
        catalog.Write();

        var marks = Directory.CreateDirectory(ctx.PathOf("marks")).FullName;
        await using var agent = await AgentUnderTest.StartAsync(
            ctx.Launch("agent", ["--catalog", catalog.Dir], new Dictionary<string, string> { ["GETAPP_CHAOS_MARKS"] = marks }));
        var document = JsonNode.Parse(await agent.Client.GetStringAsync("api-docs/v2/openapi.json"))!;
        var operations = ApiOperation.From(document);
        Console.WriteLine($"  fuzz: {operations.Count} operations in the agent's OpenAPI document; {ctx.Options.FuzzRequests} requests, seed {ctx.Options.Seed}");
        if (operations.Count < 30)
        {
            ctx.Figures.Violation(Name, $"the OpenAPI document lists only {operations.Count} operations");
        }

        // The inputs are drawn up front, in order, from the seed: the same seed sends the same requests.
        var inputs = new FuzzInputs(ctx.Random, document, [.. catalog.Releases.Keys]);
        var requests = Enumerable.Range(0, ctx.Options.FuzzRequests).Select(_ => inputs.Next(operations)).ToArray();
        var next = -1;
        var statuses = new ConcurrentDictionary<int, int>();
        var problems = new ConcurrentDictionary<string, (int Count, string Example)>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = agent.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests.Length; i = Interlocked.Increment(ref next))
            {
                var request = requests[i];
                var (status, problem) = await SendAsync(http, request);
                ctx.Figures.Request();
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (problem?.StartsWith("a 5xx", StringComparison.Ordinal) == true)
                {
                    ctx.Figures.CountServerError();
                }

                if (problem is not null)
                {
                    var key = $"{request.Operation.Method} {request.Operation.Template} → {status}: {problem}";
                    problems.AddOrUpdate(key, _ => (1, FuzzInputs.Describe(request)), (_, old) => (old.Count + 1, old.Example));
                }
            }
        })));

        Console.WriteLine($"  fuzz: {requests.Length} requests in {clock.Elapsed.TotalSeconds:0.0} s; answers: " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        foreach (var (key, (count, example)) in problems.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ctx.Figures.Violation(Name, $"{key} ({count}×; e.g. {example})");
        }

        // Still alive, still answering, the database intact; and it starts again on what the fuzzer left.
        if (!agent.IsRunning)
        {
            ctx.Figures.Violation(Name, "the agent is no longer running after the fuzzing");
            return;
        }

        var (live, _) = await ctx.CallAsync(agent, HttpMethod.Get, "health/live");
        if (live != 200)
        {
            ctx.Figures.Violation(Name, $"GET /health/live answered {live} after the fuzzing");
        }

        var invariants = new Invariants(Name, ctx.Figures, catalog.Releases, marks);
        var before = await invariants.CheckAsync(agent, "after the fuzzing");
        await agent.KillAsync();
        ctx.Figures.Kill("idle");
        await agent.RestartAsync();
        await invariants.CheckAsync(agent, "after a kill -9 and a restart on what the fuzzing left", before);
    }

    /// <summary>Sends one request; returns the status and what is wrong with the answer (null when nothing).</summary>
    private static async Task<(int Status, string? Problem)> SendAsync(HttpClient http, FuzzRequest fuzz)
    {
        HttpRequestMessage message;
        try
        {
            message = new HttpRequestMessage(new HttpMethod(fuzz.Method), fuzz.Path.TrimStart('/'));
        }
        catch (UriFormatException)
        {
            return (0, null);
        }

        using var _ = message;
        foreach (var (name, value) in fuzz.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (fuzz.Body is not null)
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(fuzz.Body));
            if (fuzz.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", fuzz.ContentType);
            }
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A request the agent refused by closing (413 before the body was read) is fine; no answer within 30 s is not.
            return (0, e is TaskCanceledException ? "no answer within 30 s" : null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream" || fuzz.Method == "HEAD")
            {
                return (status, status >= 500 ? "a 5xx" : null);
            }

            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(cts.Token);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                return (status, $"the body could not be read: {e.Message}");
            }

            return (status, Check(fuzz, status, body));
        }
    }

    private static string? Check(FuzzRequest fuzz, int status, string body)
    {
        if (status is >= 200 and < 400)
        {
            return null;
        }

        // Kestrel refuses a NUL byte in the path itself, before any of the agent's code runs, with a bare 400 (docs/api.md,
        // "Errors Kestrel answers itself").
        if (status == 400 && body.Length == 0 && fuzz.Path.Contains("%00", StringComparison.Ordinal))
        {
            return null;
        }

        string? name;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String || message.GetString()!.Length == 0
                || !root.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("statusCode", out var code) || !code.TryGetInt32(out var statusCode))
            {
                return "not an AppError body";
            }

            if (statusCode != status)
            {
                return $"the AppError says statusCode {statusCode}";
            }

            name = n.GetString();
        }
        catch (JsonException)
        {
            return "not an AppError body (not JSON)";
        }

        // Documented 5xx answers that are not failures of the agent's code (docs/api.md): readiness, a full disk.
        var documented = (status, name, fuzz.Operation.Template) switch
        {
            (503, "NotReady", "/health/ready") => true,
            (507, "InsufficientStorage", _) => true,
            _ => false,
        };
        return status >= 500 && !documented ? $"a 5xx ({name})" : null;
    }
}
