using System.Diagnostics;
using GetApp.Agent.Chaos;
using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.Chaos.Scenarios;

// The chaos suite (docs/reliability.md): drives the published agent as a black box over loopback and checks the
// invariants after every fault; prints the figures at the end; exit code 1 when any invariant did not hold.
ChaosOptions options;
try
{
    options = ChaosOptions.Parse(args);
}
catch (HelpRequestedException)
{
    Console.WriteLine(ChaosOptions.Usage);
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"getapp-chaos: {e.Message}\n\n{ChaosOptions.Usage}");
    return 2;
}

Console.WriteLine($"GetApp agent chaos suite: profile {options.Profile}, seed {options.Seed} (replay: {options.ReplayCommand})");
Console.WriteLine($"  agent {options.Binary}; work in {options.WorkRoot}");
Directory.CreateDirectory(options.WorkRoot);
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcesses.KillAll();
Console.CancelKeyPress += (_, _) => ChildProcesses.KillAll();

var figures = new Figures();
IScenario[] scenarios = [new FaultMatrixScenario(), new KillScenario(), new StormScenario(), new FuzzScenario(), new DiskFullScenario(), new TraversalScenario()];
var total = Stopwatch.StartNew();
foreach (var scenario in scenarios.Where(s => options.Scenarios.Contains(s.Name)))
{
    Console.WriteLine($"== {scenario.Name}");
    var before = figures.Violations.Count;
    var clock = Stopwatch.StartNew();
    var outcome = "passed";
    try
    {
        await scenario.RunAsync(new ChaosContext(options, figures, scenario.Name));
    }
    catch (ScenarioSkippedException skipped)
    {
        outcome = "skipped";
        figures.Note(scenario.Name, skipped.Message);
    }
    catch (Exception e)
    {
        figures.Violation(scenario.Name, $"the scenario stopped: {e}");
    }
    finally
    {
        var left = ChildProcesses.KillAll();
        if (left > 0)
        {
            figures.Violation(scenario.Name, $"{left} process(es) of this run were still alive when the scenario ended");
        }
    }

    if (figures.Violations.Count > before)
    {
        outcome = "FAILED";
    }

    figures.Scenario(scenario.Name, outcome, clock.Elapsed);
    Console.WriteLine($"== {scenario.Name}: {outcome} in {clock.Elapsed.TotalSeconds:0.0} s");
}

var summary = figures.Summary(options, total.Elapsed);
Console.WriteLine();
Console.WriteLine(summary);
if (options.ReportPath is { } report)
{
    Directory.CreateDirectory(Path.GetDirectoryName(report)!);
    await File.WriteAllTextAsync(report, figures.ToJson(options, total.Elapsed).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
}

var failed = figures.Violations.Count > 0;
if (failed || options.Keep)
{
    Console.WriteLine($"The work folder (data dirs, catalogs, agent logs) is kept: {options.WorkRoot}");
}
else
{
    try
    {
        Directory.Delete(options.WorkRoot, recursive: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.WriteLine($"Could not remove {options.WorkRoot}: {e.Message}");
    }
}

return failed ? 1 : 0;
