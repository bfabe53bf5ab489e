namespace GetApp.Agent.Core.Fleet;

/// <summary>Timings and bounds of fleet control (docs/fleet.md) that are not live settings; tests shorten the timings.</summary>
public sealed record FleetOptions
{
    /// <summary>A <c>: ping</c> goes down every open command channel this often (GetApp pings every 10 s).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A channel the parent could not write to for this long is closed, and the kernel gives up on unacknowledged data
    /// after it too (<c>TCP_USER_TIMEOUT</c>): with <see cref="PingInterval"/>, a child gone silently is offline within it.
    /// </summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A child that heard nothing (not even a ping) from its parent for this long reconnects.</summary>
    public TimeSpan ChildSilenceLimit { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The child's first wait before it tries its parent again; it doubles up to <see cref="ReconnectMax"/>.</summary>
    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A command's expiry when the operator gives none.</summary>
    public TimeSpan DefaultExpiry { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The longest expiry an operator may give.</summary>
    public TimeSpan MaxExpiry { get; init; } = TimeSpan.FromDays(366);

    /// <summary>The most devices one action may name.</summary>
    public int MaxDevicesPerAction { get; init; } = 1000;

    /// <summary>The most commands that may wait for one device; beyond it an action for it is refused.</summary>
    public int MaxPendingPerDevice { get; init; } = 1000;

    /// <summary>Finished commands are kept this long (and at most <see cref="MaxFinishedCommands"/> of them).</summary>
    public TimeSpan FinishedCommandRetention { get; init; } = TimeSpan.FromDays(30);

    public int MaxFinishedCommands { get; init; } = 10_000;

    /// <summary>Expiry of commands, forgetting of devices and pruning run this often.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>One device's entry on the fleet event stream is published at most this often.</summary>
    public TimeSpan EventInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
