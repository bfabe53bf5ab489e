using System.Globalization;

namespace GetApp.Agent.Chaos;

/// <summary>
/// The command line. Two profiles: <c>ci</c> (bounded, run by .ci/run with a fixed seed) and <c>long</c> (the long form,
/// a random seed unless one is given). Every random choice of a run comes from <see cref="Seed"/>, printed first, so a
/// failing run can be replayed with the same choices (timings still vary; the invariants do not depend on them).
/// </summary>
public sealed class ChaosOptions
{
    public static readonly string[] AllScenarios = ["faults", "kill", "storm", "fuzz", "disk", "traversal"];

    public required string Binary { get; init; }
    public required string Profile { get; init; }
    public required int Seed { get; init; }
    public required IReadOnlySet<string> Scenarios { get; init; }
    public required string WorkRoot { get; init; }
    public string? ReportPath { get; init; }
    public bool Keep { get; init; }

    /// <summary>Kill rounds: each takes one release through download, validation, install, uninstall and idle with kills (6 per round).</summary>
    public int KillRounds { get; init; }

    /// <summary>Size of the big payload of a kill round (served at <see cref="KillPayloadRate"/> bytes/s).</summary>
    public long KillPayloadSize { get; init; }
    public long KillPayloadRate { get; init; }
    public int FuzzRequests { get; init; }
    public int StormThreads { get; init; } = 20;
    public int StormRequestsPerThread { get; init; } = 200;
    public int StormRounds { get; init; } = 1;

    public bool IsLong => Profile == "long";

    public string ReplayCommand =>
        $"dotnet run --project tests/GetApp.Agent.Chaos -- --profile {Profile} --seed {Seed.ToString(CultureInfo.InvariantCulture)}"
        + (Scenarios.Count == AllScenarios.Length ? "" : $" --only {string.Join(',', Scenarios)}");

    public const string Usage = """
        getapp-chaos: the chaos suite, against the published Native AOT agent (docs/reliability.md).

          --binary PATH        the agent executable (default: artifacts/publish/linux-x64/getapp-agent; eng/aot-smoke.sh makes it)
          --profile ci|long    ci: bounded (CI, about 5 min); long: >= 200 kills, 30,000 fuzzed requests (default: ci)
          --seed N|random      every random choice comes from it (default: 1 for ci, random for long); printed first
          --only LIST          comma-separated scenarios: faults,kill,storm,fuzz,disk,traversal (default: all)
          --kill-rounds N      override the number of kill rounds (6 kills each)
          --fuzz-requests N    override the number of fuzzed requests
          --work DIR           where data dirs, catalogs and logs go (default: a new folder under the temp dir)
          --report PATH        also write the figures as JSON there
          --keep               keep the work folder (it is kept anyway when something failed)

        Exit code: 0 when every invariant held, 1 when one did not, 2 for a usage error.
        """;

    public static ChaosOptions Parse(string[] args)
    {
        string? binary = null, profile = "ci", seed = null, only = null, work = null, report = null;
        int? killRounds = null, fuzz = null;
        var keep = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--binary": binary = Next(); break;
                case "--profile": profile = Next(); break;
                case "--seed": seed = Next(); break;
                case "--only": only = Next(); break;
                case "--work": work = Next(); break;
                case "--report": report = Next(); break;
                case "--kill-rounds": killRounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--fuzz-requests": fuzz = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--keep": keep = true; break;
                case "-h" or "--help": throw new HelpRequestedException();
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }

        if (profile is not ("ci" or "long"))
        {
            throw new ArgumentException("--profile is ci or long");
        }

        var isLong = profile == "long";
        var seedValue = seed is null or "random"
            ? (isLong || seed == "random" ? Random.Shared.Next(1, int.MaxValue) : 1)
            : int.Parse(seed, CultureInfo.InvariantCulture);
        var scenarios = only is null ? AllScenarios.ToHashSet() : only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        if (scenarios.FirstOrDefault(s => !AllScenarios.Contains(s)) is { } unknown)
        {
            throw new ArgumentException($"unknown scenario '{unknown}' (known: {string.Join(',', AllScenarios)})");
        }

        binary ??= Path.Combine(FindRoot(), "artifacts", "publish", "linux-x64", "getapp-agent");
        if (!File.Exists(binary))
        {
            throw new ArgumentException($"the agent executable {binary} does not exist: publish it first with eng/aot-smoke.sh (or give --binary)");
        }

        return new ChaosOptions
        {
            Binary = Path.GetFullPath(binary),
            Profile = profile,
            Seed = seedValue,
            Scenarios = scenarios,
            WorkRoot = Path.GetFullPath(work ?? Path.Combine(Path.GetTempPath(), $"getapp-chaos-{seedValue}-{Guid.NewGuid():N}"[..40])),
            ReportPath = report is null ? null : Path.GetFullPath(report),
            Keep = keep,
            KillRounds = killRounds ?? (isLong ? 36 : 6),
            KillPayloadSize = isLong ? 32L * 1024 * 1024 : 12L * 1024 * 1024,
            KillPayloadRate = 6L * 1024 * 1024,
            FuzzRequests = fuzz ?? (isLong ? 30_000 : 3_000),
            StormRounds = isLong ? 3 : 1,
        };
    }

    /// <summary>The repository root (the folder holding GetApp.Agent.slnx), from the working directory or the program's.</summary>
    public static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GetApp.Agent.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return Environment.CurrentDirectory;
    }
}

public sealed class HelpRequestedException : Exception;
