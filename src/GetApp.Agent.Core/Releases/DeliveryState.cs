using System.Text.Json.Serialization;

namespace GetApp.Agent.Core.Releases;

/// <summary>The phase of a delivery (GetApp's <c>DeliveryState</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryState>))]
public enum DeliveryState
{
    [JsonStringEnumMemberName("prepare")] Prepare,
    [JsonStringEnumMemberName("download")] Download,
    [JsonStringEnumMemberName("validation")] Validation,
    [JsonStringEnumMemberName("done")] Done,
}
