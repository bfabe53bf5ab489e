using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

// The discovery message's `general` section (the server's GeneralDiscoveryDto). The discovery service fills the device
// row (name, OS, MAC, IP, available storage) and the rule context only from here and blanks them when it is absent
// (docs/getapp-server.md, "Device facts"), so the agent sends it; the gateway validates it strictly and refuses the whole
// discovery over one bad value, so a value that would fail is left out, never sent.

/// <summary><c>GeneralDiscoveryDto</c>.</summary>
public sealed record GeneralDiscoveryDto(PersonalDiscoveryDto? PersonalDevice, SituationalDiscoveryDto? SituationalDevice, PhysicalDiscoveryDto? PhysicalDevice);

/// <summary><c>PersonalDiscoveryDto</c>: the device's display name.</summary>
public sealed record PersonalDiscoveryDto(string? Name);

/// <summary><c>SituationalDiscoveryDto</c>: <c>availableStorage</c> is a string (bytes), <c>power</c> 0–100.</summary>
public sealed record SituationalDiscoveryDto(string? AvailableStorage, double? Power, GeoLocationDto? Location);

/// <summary><c>GeoLocationDto</c>: strings, as the server declares them.</summary>
public sealed record GeoLocationDto(string Lat, string Long, string? Alt);

/// <summary>
/// <c>PhysicalDiscoveryDto</c>. <c>ID</c> is deprecated in the newest server libs but required by older gateway copies; the
/// discovery service overwrites it with the message's <c>id</c>, so it is sent, equal to it.
/// </summary>
public sealed record PhysicalDiscoveryDto
{
    [System.Text.Json.Serialization.JsonPropertyName("ID")]
    public string? Id { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("OS")]
    public string? Os { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("MAC")]
    public string? Mac { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("IP")]
    public string? Ip { get; init; }

    public string? SerialNumber { get; init; }
}

/// <summary>Builds <c>general</c> from the device's metadata with the server's own validation rules.</summary>
public static partial class GeneralDiscovery
{
    /// <summary>The server's <c>OS</c> enum.</summary>
    public static readonly string[] OsValues = ["android", "windows", "linux", "macos"];

    /// <summary>
    /// <c>general</c> for a discovery: <c>personalDevice.name</c> from metadata <c>name</c>; <c>situationalDevice</c>
    /// from <c>storageAvailable</c>, <c>battery</c> (a 0–100 number) and <c>location</c> (<c>lat</c>/<c>latitude</c>,
    /// <c>long</c>/<c>longitude</c>, <c>alt</c>/<c>altitude</c>); <c>physicalDevice</c> from <c>os</c>,
    /// <c>macAddress</c>, <c>ipAddress</c> and a custom <c>serialNumber</c>. Values the gateway would refuse are left out.
    /// </summary>
    public static GeneralDiscoveryDto From(string deviceId, JsonObject metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var name = Text(metadata["name"]);
        var storage = Number(metadata["storageAvailable"]) is { } bytes && bytes >= 0 && bytes == Math.Floor(bytes)
            ? ((long)bytes).ToString(CultureInfo.InvariantCulture) : null;
        var power = Number(metadata["battery"]) is { } level && level is >= 0 and <= 100 ? level : (double?)null;
        var situational = storage is null && power is null && LocationOf(metadata["location"]) is null
            ? null
            : new SituationalDiscoveryDto(storage, power, LocationOf(metadata["location"]));
        var physical = new PhysicalDiscoveryDto
        {
            Id = deviceId,
            Os = Text(metadata["os"]) is { } os && OsValues.Contains(os) ? os : null,
            Mac = Text(metadata["macAddress"]) is { } mac && IsValidMac(mac) ? mac : null,
            Ip = Text(metadata["ipAddress"]) is { } ip && IsValidIp(ip) ? ip : null,
            SerialNumber = Text(metadata["serialNumber"]),
        };
        return new GeneralDiscoveryDto(name is null ? null : new PersonalDiscoveryDto(name), situational, physical);
    }

    // The server's regexes, with JavaScript's end anchor: .NET's `$` would also accept a trailing newline.

    /// <summary>The gateway's MAC rule (<c>Pattern.MAC</c>).</summary>
    public static bool IsValidMac(string value) => MacPattern().IsMatch(value);

    /// <summary>
    /// The gateway's IP rule (<c>Pattern.IP</c>), exactly as written: its alternation sits inside the repeated group, so
    /// in effect only dotted IPv4 passes (a full 8-group IPv6 address alone does not).
    /// </summary>
    public static bool IsValidIp(string value) => IpPattern().IsMatch(value);

    private static GeoLocationDto? LocationOf(JsonNode? node) =>
        node is JsonObject o && Coordinate(o["lat"] ?? o["latitude"]) is { } lat && Coordinate(o["long"] ?? o["longitude"] ?? o["lng"]) is { } lon
            ? new GeoLocationDto(lat, lon, Coordinate(o["alt"] ?? o["altitude"]))
            : null;

    private static string? Coordinate(JsonNode? node) => node switch
    {
        JsonValue v when Number(v) is { } d => d.ToString("R", CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var text) && text.Trim().Length > 0 => text.Trim(),
        _ => null,
    };

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) && text.Trim().Length > 0 ? text.Trim() : null;

    // Whatever CLR type holds the number (a parsed document, or a long the agent computed).
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
        && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    [GeneratedRegex(@"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})\z")]
    private static partial Regex MacPattern();

    [GeneratedRegex(@"^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\z")]
    private static partial Regex IpPattern();
}
