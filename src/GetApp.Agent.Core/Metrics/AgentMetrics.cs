using System.Diagnostics.Metrics;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Metrics;

/// <summary>
/// The agent's counters (System.Diagnostics.Metrics, meter <see cref="MeterName"/>): what the engines did since the
/// agent started. Counted where the change happens (a committed move, a received chunk), never by polling; every
/// label value that can occur starts at 0, so a rate over it is defined from the first scrape.
/// </summary>
public sealed class AgentMetrics
{
    public const string MeterName = "GetApp.Agent";

    private static readonly string[] DeliveryOutcomes = ["started", "done", "failed", "paused", "cancelled", "deleted"];
    private static readonly string[] InstallOutcomes = ["started", "done", "failed", "cancelled"];

    private readonly Counter<long> _downloaded;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _installs;
    private readonly Counter<long> _uninstalls;
    private readonly Counter<long> _discoveries;
    private readonly Counter<long> _published;
    private readonly Counter<long> _droppedClients;

    public AgentMetrics(IMeterFactory meterFactory, ReleaseService releases, DiscoveryService discovery, EventHub hub)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(releases);
        ArgumentNullException.ThrowIfNull(discovery);
        ArgumentNullException.ThrowIfNull(hub);
        Meter = meterFactory.Create(MeterName);
        _downloaded = Meter.CreateCounter<long>("getapp.downloaded", "By", "Artifact bytes received from sources (resumed bytes already on disk are not counted again).");
        _retries = Meter.CreateCounter<long>("getapp.download.retries", null, "Download attempts that failed and were tried again, by reason.");
        _failures = Meter.CreateCounter<long>("getapp.download.failures", null, "Deliveries that failed for good, by reason.");
        _deliveries = Meter.CreateCounter<long>("getapp.deliveries", null, "Deliveries by outcome: started, done, failed, paused, cancelled, deleted.");
        _installs = Meter.CreateCounter<long>("getapp.installs", null, "Installs by outcome: started, done, failed, cancelled.");
        _uninstalls = Meter.CreateCounter<long>("getapp.uninstalls", null, "Releases uninstalled.");
        _discoveries = Meter.CreateCounter<long>("getapp.discoveries", null, "Discoveries by result: ok, error.");
        _published = Meter.CreateCounter<long>("getapp.events.published", null, "Events published to the event streams, by stream.");
        _droppedClients = Meter.CreateCounter<long>("getapp.events.dropped_clients", null, "Event stream clients dropped because they stopped reading.");

        releases.Moved += OnMoved;
        discovery.Completed += outcome => _discoveries.Add(1, new KeyValuePair<string, object?>("result", outcome.Error is null ? "ok" : "error"));
        hub.Published += e => _published.Add(1, new KeyValuePair<string, object?>("stream", EventStreamNames.PathOf(e.Stream)));
        hub.ClientDropped += _ => _droppedClients.Add(1);
    }

    /// <summary>The meter every instrument of the agent belongs to (gauges are added by <see cref="AgentGauges"/>).</summary>
    public Meter Meter { get; }

    /// <summary>
    /// Records 0 for every label value that can occur, so each series exists (and a rate over it is defined) from the
    /// first scrape. Called by a listener once it listens: measurements made before are not seen by it.
    /// </summary>
    public void RecordZeros()
    {
        _downloaded.Add(0);
        _uninstalls.Add(0);
        _droppedClients.Add(0);
        foreach (var reason in Enum.GetValues<DeliveryFailureReason>())
        {
            _retries.Add(0, Reason(reason));
            _failures.Add(0, Reason(reason));
        }

        foreach (var outcome in DeliveryOutcomes)
        {
            _deliveries.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var outcome in InstallOutcomes)
        {
            _installs.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        _discoveries.Add(0, new KeyValuePair<string, object?>("result", "ok"));
        _discoveries.Add(0, new KeyValuePair<string, object?>("result", "error"));
        foreach (var stream in EventStreamNames.Each)
        {
            _published.Add(0, new KeyValuePair<string, object?>("stream", EventStreamNames.PathOf(stream)));
        }
    }

    public void Downloaded(long bytes) => _downloaded.Add(bytes);

    public void DownloadRetried(DeliveryFailureReason reason) => _retries.Add(1, Reason(reason));

    public void DeliveryFailed(DeliveryFailureReason reason) => _failures.Add(1, Reason(reason));

    private void OnMoved(ReleaseMoved moved)
    {
        var delivery = moved.Action switch
        {
            ReleaseAction.StartDelivery => "started",
            ReleaseAction.CompleteDelivery => "done",
            ReleaseAction.FailDelivery => "failed",
            ReleaseAction.PauseDelivery => "paused",
            ReleaseAction.CancelDelivery => "cancelled",
            ReleaseAction.DeleteDelivery => "deleted",
            _ => null,
        };
        if (delivery is not null)
        {
            _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", delivery));
            return;
        }

        var install = moved.Action switch
        {
            ReleaseAction.StartDeploy => "started",
            ReleaseAction.CompleteDeploy => "done",
            ReleaseAction.FailDeploy => "failed",
            ReleaseAction.CancelDeploy => "cancelled",
            _ => null,
        };
        if (install is not null)
        {
            _installs.Add(1, new KeyValuePair<string, object?>("outcome", install));
        }
        else if (moved.Action == ReleaseAction.Uninstall)
        {
            _uninstalls.Add(1);
        }
    }

    private static KeyValuePair<string, object?> Reason(DeliveryFailureReason reason) => new("reason", DeliveryFailureReasons.Label(reason));
}
