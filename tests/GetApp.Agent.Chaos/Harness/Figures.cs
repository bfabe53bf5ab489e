using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// What a run did and found, for the summary at the end (and docs/reliability.md): kills by the phase they landed in,
/// faults injected, requests sent by the fuzzer and the storm, 5xx answers, releases or files lost, corrupt files
/// accepted, and every violated invariant with its scenario.
/// </summary>
public sealed class Figures
{
    private readonly ConcurrentDictionary<string, int> _kills = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Scenario, string Message)> _violations = new();
    private readonly ConcurrentQueue<(string Scenario, string Message)> _notes = new();
    private readonly ConcurrentQueue<string> _serverErrorSamples = new();
    private readonly List<(string Name, string Outcome, TimeSpan Took)> _scenarios = [];
    private long _faults;
    private long _requests;
    private long _serverErrors;
    private long _lost;
    private long _corrupt;

    public int Kills => _kills.Values.Sum();
    public IReadOnlyDictionary<string, int> KillsByPhase => _kills;
    public long Faults => Interlocked.Read(ref _faults);
    public long Requests => Interlocked.Read(ref _requests);
    public long ServerErrors => Interlocked.Read(ref _serverErrors);
    public long Lost => Interlocked.Read(ref _lost);
    public long Corrupt => Interlocked.Read(ref _corrupt);
    public IReadOnlyList<(string Scenario, string Message)> Violations => [.. _violations];

    public void Kill(string phase) => _kills.AddOrUpdate(phase, 1, (_, n) => n + 1);

    public void Fault(long n = 1) => Interlocked.Add(ref _faults, n);

    public void Request() => Interlocked.Increment(ref _requests);

    public void ServerError(string scenario, string what)
    {
        Interlocked.Increment(ref _serverErrors);
        if (_serverErrorSamples.Count < 200)
        {
            _serverErrorSamples.Enqueue(what);
        }

        Violation(scenario, $"5xx: {what}");
    }

    /// <summary>A 5xx already reported as a violation by the caller (which groups many alike into one).</summary>
    public void CountServerError() => Interlocked.Increment(ref _serverErrors);

    public void LostOne(string scenario, string what)
    {
        Interlocked.Increment(ref _lost);
        Violation(scenario, $"lost: {what}");
    }

    public void CorruptOne(string scenario, string what)
    {
        Interlocked.Increment(ref _corrupt);
        Violation(scenario, $"corrupt: {what}");
    }

    public void Violation(string scenario, string message)
    {
        _violations.Enqueue((scenario, message));
        Console.WriteLine($"  VIOLATION [{scenario}] {message}");
    }

    /// <summary>Something worth reading that is not a failure (a skipped part and why).</summary>
    public void Note(string scenario, string message)
    {
        _notes.Enqueue((scenario, message));
        Console.WriteLine($"  note [{scenario}] {message}");
    }

    public void Scenario(string name, string outcome, TimeSpan took)
    {
        lock (_scenarios)
        {
            _scenarios.Add((name, outcome, took));
        }
    }

    public string Summary(ChaosOptions options, TimeSpan took)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"GetApp agent chaos suite: profile {options.Profile}, seed {options.Seed}, {took.TotalSeconds:0} s");
        text.AppendLine(CultureInfo.InvariantCulture, $"  replay: {options.ReplayCommand}");
        lock (_scenarios)
        {
            foreach (var (name, outcome, time) in _scenarios)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {name,-12} {outcome,-8} {time.TotalSeconds,6:0.0} s");
            }
        }

        var phases = string.Join(", ", _kills.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}"));
        text.AppendLine(CultureInfo.InvariantCulture, $"  kills {Kills} ({phases})");
        text.AppendLine(CultureInfo.InvariantCulture, $"  faults {Faults}  requests {Requests}  5xx {ServerErrors}  lost {Lost}  corrupt {Corrupt}");
        foreach (var (scenario, message) in _notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  note [{scenario}] {message}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  violations {_violations.Count}");
        foreach (var (scenario, message) in _violations.Take(100))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    [{scenario}] {message}");
        }

        return text.ToString();
    }

    public JsonObject ToJson(ChaosOptions options, TimeSpan took) => new()
    {
        ["profile"] = options.Profile,
        ["seed"] = options.Seed,
        ["seconds"] = Math.Round(took.TotalSeconds),
        ["kills"] = Kills,
        ["killsByPhase"] = new JsonObject([.. _kills.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))]),
        ["faults"] = Faults,
        ["requests"] = Requests,
        ["serverErrors"] = ServerErrors,
        ["lost"] = Lost,
        ["corrupt"] = Corrupt,
        ["violations"] = new JsonArray([.. _violations.Select(v => (JsonNode?)$"[{v.Scenario}] {v.Message}")]),
        ["notes"] = new JsonArray([.. _notes.Select(v => (JsonNode?)$"[{v.Scenario}] {v.Message}")]),
    };
}
