using System.Diagnostics;
using System.Reflection;
using System.Text;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GetApp.Agent.IntegrationTests.Chaos;

/// <summary>
/// The chaos suite (tests/GetApp.Agent.Chaos, docs/reliability.md) in its CI form, against the published Native AOT
/// agent: kill -9 in every phase, the upstream fault matrix, a full disk, fuzzing every route, a concurrency storm and
/// catalog traversal, with the invariants checked after each. It runs alone, after the parallel tests, so that its
/// timings are its own; its figures go to the test output and to artifacts/chaos/.
/// </summary>
[Collection(ChaosSuiteCollection.Name)]
public class ChaosSuiteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(15);

    [ChaosSuiteFact]
    public async Task CiProfile_AgainstThePublishedAgent_EveryInvariantHolds()
    {
        var agent = await PublishedAgent.GetAsync();
        var reports = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "chaos")).FullName;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", ChaosProgram, "--profile", "ci", "--binary", agent, "--report", Path.Combine(reports, "ci.json")])
        {
            info.ArgumentList.Add(argument);
        }

        var log = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (var cts = new CancellationTokenSource(Bound))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM first: the suite kills the agents and installers it started before it exits.
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term!.WaitForExitAsync();
                }

                if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }

        process.WaitForExit();
        string text;
        lock (log)
        {
            text = log.ToString();
        }

        await File.WriteAllTextAsync(Path.Combine(reports, "ci.log"), text);
        output.WriteLine(text);
        output.WriteLine($"(the CI form took {clock.Elapsed.TotalSeconds:0} s)");
        Assert.True(clock.Elapsed < Bound, $"the chaos suite did not end within {Bound.TotalMinutes:0} min:\n{Tail(text)}");
        Assert.True(process.ExitCode == 0, $"the chaos suite found violations (exit code {process.ExitCode}):\n{Tail(text)}");
    }

    /// <summary>getapp-chaos.dll, built beside this project (see the project reference and the assembly metadata).</summary>
    private static string ChaosProgram =>
        typeof(ChaosSuiteTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ChaosProgram").Value!;

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    /// <summary>The summary (and what led to it) rather than thousands of lines.</summary>
    private static string Tail(string text) => text.Length <= 20_000 ? text : "…" + text[^20_000..];
}

/// <summary>The chaos suite runs alone: after the parallel tests, and never beside another test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosSuiteCollection
{
    public const string Name = "chaos-suite";
}

/// <summary>Skipped, saying why, where the published agent can be neither found nor made (never in CI).</summary>
public sealed class ChaosSuiteFactAttribute : FactAttribute
{
    public ChaosSuiteFactAttribute()
    {
        Skip = PublishedAgent.Unavailable();
    }
}
