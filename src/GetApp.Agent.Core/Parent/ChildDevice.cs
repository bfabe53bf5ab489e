using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// A child agent as the registry knows it: who it said it is in its last discovery (or report), from where, and when.
/// <see cref="DeviceData"/> is the child's own <c>deviceData</c> (enrollment and metadata), kept as received.
/// </summary>
public sealed record ChildDevice(
    string DeviceId,
    IReadOnlyList<string> DeviceType,
    string? Platform,
    string? PlatformId,
    string? Address,
    JsonObject? DeviceData,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt);

/// <summary>
/// Where one release stands on a child: <see cref="State"/> is the server's <c>DeviceComponentState</c> (lower-case), as
/// the child's discovery reported it or as its last delivery/deploy report implies (the GetApp server's own mapping);
/// the statuses are the last ones the child reported, with the server's spellings.
/// </summary>
public sealed record ChildRelease(
    string DeviceId,
    string CatalogId,
    string State,
    string? DeliveryStatus,
    string? DeployStatus,
    double? Progress,
    string? Error,
    DateTimeOffset UpdatedAt);

/// <summary>Which children a registry read returns: active ones (seen within <c>parentInactiveDeviceHours</c>), inactive ones, or all.</summary>
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
