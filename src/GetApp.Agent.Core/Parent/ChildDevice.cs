using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// A child agent as the registry knows it: who it said it is in its last discovery (or report), from where, and when.
/// <see cref="DeviceData"/> is the child's own <c>deviceData</c> (enrollment and metadata), kept as received.
/// The fleet fields (docs/fleet.md) say how the child asked to be managed when it last registered, what the operator
/// decided about its orchestration (<c>pending</c>, <c>accepted</c>, <c>refused</c>; null when it never asked), and when its
/// command channel last opened and closed.
/// </summary>
public sealed record ChildDevice(
    string DeviceId,
    IReadOnlyList<string> DeviceType,
    string? Platform,
    string? PlatformId,
    string? Address,
    JsonObject? DeviceData,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt,
    bool OrchestrateMe = false,
    bool ReactiveMode = false,
    string? Orchestration = null,
    DateTimeOffset? RegisteredAt = null,
    DateTimeOffset? ConnectedAt = null,
    DateTimeOffset? DisconnectedAt = null)
{
    /// <summary>Whether this parent may send it commands: it takes commands without approval, or its orchestration was accepted.</summary>
    public bool IsManaged => ReactiveMode || (OrchestrateMe && Orchestration == "accepted");

    /// <summary>How it is managed: <c>orchestrated</c> (accepted), <c>reactive</c>, or <c>none</c> (a plain child, or one waiting for approval).</summary>
    public string Mode => OrchestrateMe && Orchestration == "accepted" ? "orchestrated" : ReactiveMode ? "reactive" : "none";
}

/// <summary>
/// Where one release stands on a child: <see cref="State"/> is the server's <c>DeviceComponentState</c> (lower-case), as
/// the child's discovery reported it or as its last delivery/deploy report implies (the GetApp server's own mapping);
/// the statuses are the last ones the child reported, with the server's spellings; <see cref="Speed"/> (bytes/s) and
/// <see cref="Eta"/> (seconds) come with its reports of a running download or install.
/// </summary>
public sealed record ChildRelease(
    string DeviceId,
    string CatalogId,
    string State,
    string? DeliveryStatus,
    string? DeployStatus,
    double? Progress,
    string? Error,
    DateTimeOffset UpdatedAt,
    double? Speed = null,
    long? Eta = null);

/// <summary>Which children a registry read returns: active ones (seen within <c>cdnInactiveAfterHours</c>), inactive ones, or all.</summary>
public enum ChildFilter
{
    Active,
    Inactive,
    All,
}

/// <summary>One release a child holds, as its discovery lists it (<c>softwareData.components[]</c>).</summary>
public sealed record ChildComponent(string CatalogId, string State, string? Error);

/// <summary>What a child's discovery tells the registry about the child.</summary>
public sealed record ChildDiscoveryFacts(
    string DeviceId,
    IReadOnlyList<string> DeviceType,
    string? Platform,
    string? PlatformId,
    JsonObject? DeviceData,
    IReadOnlyList<ChildComponent> Components);
