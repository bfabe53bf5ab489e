using System.Text.Json.Serialization;

namespace GetApp.Agent.Core.Releases;

/// <summary>
/// Where a release stands on this device (GetApp's <c>DeviceComponentState</c>). Wire values are lower-case.
/// <see cref="Offering"/> and <see cref="Push"/> are offers only; the release status API exposes the rest
/// (<c>DeviceReleaseState</c>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReleaseState>))]
public enum ReleaseState
{
    [JsonStringEnumMemberName("offering")] Offering,
    [JsonStringEnumMemberName("push")] Push,
    [JsonStringEnumMemberName("delivery")] Delivery,
    [JsonStringEnumMemberName("downloaded")] Downloaded,
    [JsonStringEnumMemberName("deploy")] Deploy,
    [JsonStringEnumMemberName("installed")] Installed,
    [JsonStringEnumMemberName("uninstalled")] Uninstalled,
    [JsonStringEnumMemberName("deleted")] Deleted,
}
