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

    /// <summary>
    /// A child not heard from for this long is listed as inactive (<c>filter=inactive</c>); GetApp's
    /// <c>inactive_device_hours</c> of its CDN settings (docs/fleet.md). A child whose command channel is open is active.
    /// </summary>
    public int CdnInactiveAfterHours { get; init; } = 24;

    /// <summary>A child not heard from for this many days is forgotten (GetApp's <c>device_delete_after_days</c>).</summary>
    public int CdnForgetAfterDays { get; init; } = 30;

    /// <summary>Asks this agent's upstream parent to manage it, joining its platform once the parent accepts (GetApp's <c>orchestrateMe</c>).</summary>
    public bool OrchestrateMe { get; init; }

    /// <summary>Takes its upstream parent's commands without joining its platform, no approval needed (GetApp's <c>reactiveMode</c>).</summary>
    public bool ReactiveMode { get; init; }
}
