using System.Text.Json.Serialization;

namespace GetApp.Agent.Core.Releases;

/// <summary>The status of an installation (GetApp's <c>DeploymentStatus</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeploymentStatus>))]
public enum DeploymentStatus
{
    Start,
    Done,
    Installing,
    Continue,
    Pause,
    Cancelled,
    Error,
    Uninstall,
}
