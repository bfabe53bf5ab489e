namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that compare what the agent reports with the wall clock (progress, ETA) run alone, after the parallel ones: the
/// origin and the agent share the test process with every other test, and one busy second there (another test's 200 MB
/// transfer, its child processes) is a second in which the throttled origin sends nothing, which no ETA can foresee.
/// So do tests that measure the allocations of the whole process, which every test beside them would add to.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive";
}
