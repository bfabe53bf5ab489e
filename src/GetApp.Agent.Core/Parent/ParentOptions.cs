namespace GetApp.Agent.Core.Parent;

/// <summary>Timings of the parent face that are not live settings (docs/parent.md); tests shorten them.</summary>
public sealed record ParentOptions
{
    /// <summary>The longest a child's discovery waits for the upstream before it is answered from what this agent holds.</summary>
    public TimeSpan RelayTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After the upstream failed, children's discoveries are answered locally for this long without trying it again.</summary>
    public TimeSpan RelayQuietAfterFailure { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A release fetched for children is not evicted within this long of its last use (a child may be about to download it).</summary>
    public TimeSpan EvictionGrace { get; init; } = TimeSpan.FromMinutes(5);
}
