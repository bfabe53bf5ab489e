namespace GetApp.Agent.Core.Settings;

/// <summary>
/// The live settings of <c>/api/v2/agent/configs</c> (GetApp Agent API V12–V14): stored in the database, changeable
/// while the agent runs. Names and defaults are GetApp's; <see cref="StallTimeoutSecs"/> is this agent's addition.
/// </summary>
public sealed record AgentSettings
{
    public int TcpTimeout { get; init; } = 5;
    public bool NetworkConnectionRefreshEnabled { get; init; }
    public int NetworkConnectionRefreshIntervalSecs { get; init; } = 60;
    public bool DeliveryAutoTrigger { get; init; }
    public long DeliveryStorageBufferBytes { get; init; }
    public int MaxParallelDeliveries { get; init; } = 1;
    public int DeliveryTimeoutMins { get; init; } = 30;
    public int DownloadRetryCount { get; init; } = 2;
    public int DeliveryRetryDelaySecs { get; init; } = 5;
    public int StallTimeoutSecs { get; init; } = 60;
    public bool DeployAutoOnPull { get; init; }
    public int DeployTimeoutSec { get; init; } = 60;
    public bool LogsRunDispatchJob { get; init; } = true;
    public bool MatomoUseBuffer { get; init; } = true;
    public string MatomoServerUrl { get; init; } = "";
    public string MatomoSiteId { get; init; } = "";
    public string MatomoDimensionId { get; init; } = "";
    public int MatomoMaxRetentionHours { get; init; } = 720;
    public int MatomoMaxBufferSizeMb { get; init; } = 20;
    public int OrchSysinfoCheckMins { get; init; } = 5;
    public int DiscoveryPeriodicIntervalMin { get; init; } = 60;
    public int QueryStatusIntervalSec { get; init; } = 2;

    /// <summary>This agent's addition (docs/parent.md): the most bytes kept of releases fetched only for children.</summary>
    public long ParentCacheMaxBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>This agent's addition: the most children's reports kept waiting for the upstream; beyond it the oldest go.</summary>
    public int ParentReportsMax { get; init; } = 100_000;

    /// <summary>This agent's addition: a child not seen for this long is listed as inactive (<c>filter=inactive</c>).</summary>
    public int ParentInactiveDeviceHours { get; init; } = 24;
}
