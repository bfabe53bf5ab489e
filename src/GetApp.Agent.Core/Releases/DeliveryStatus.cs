using System.Text.Json.Serialization;

namespace GetApp.Agent.Core.Releases;

/// <summary>The agent's delivery status (GetApp's <c>DeliveryStatusEnum</c>; note <c>Cancel</c>, not <c>Cancelled</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    Start,
    InProgress,
    Done,
    Pause,
    Cancel,
    Error,
}
