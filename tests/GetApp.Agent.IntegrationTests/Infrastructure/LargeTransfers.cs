namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that move gigabytes run alone, after the parallel ones: the disk and the two cores they keep busy for a while
/// would otherwise turn other tests' timeouts into failures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeTransfers
{
    public const string Name = "large-transfers";
}
