using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Settings;

/// <summary>The type and range of every live setting, by its API name; what a PUT is checked against.</summary>
internal static class SettingRules
{
    private enum Kind
    {
        Boolean,
        Integer,
        Text,
        Url,
    }

    private sealed record Rule(Kind Kind, long Min = 0, long Max = long.MaxValue);

    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        ["tcpTimeout"] = new(Kind.Integer, 1, 600),
        ["networkConnectionRefreshEnabled"] = new(Kind.Boolean),
        ["networkConnectionRefreshIntervalSecs"] = new(Kind.Integer, 1, 86_400),
        ["deliveryAutoTrigger"] = new(Kind.Boolean),
        ["deliveryStorageBufferBytes"] = new(Kind.Integer, 0, long.MaxValue),
        ["maxParallelDeliveries"] = new(Kind.Integer, 1, 16),
        ["deliveryTimeoutMins"] = new(Kind.Integer, 1, 7 * 24 * 60),
        ["downloadRetryCount"] = new(Kind.Integer, 0, 100),
        ["deliveryRetryDelaySecs"] = new(Kind.Integer, 0, 3600),
        ["stallTimeoutSecs"] = new(Kind.Integer, 1, 3600),
        ["deployAutoOnPull"] = new(Kind.Boolean),
        ["deployTimeoutSec"] = new(Kind.Integer, 1, 7 * 24 * 3600),
        ["logsRunDispatchJob"] = new(Kind.Boolean),
        ["matomoUseBuffer"] = new(Kind.Boolean),
        ["matomoServerUrl"] = new(Kind.Url),
        ["matomoSiteId"] = new(Kind.Text),
        ["matomoDimensionId"] = new(Kind.Text),
        ["matomoMaxRetentionHours"] = new(Kind.Integer, 1, 100_000),
        ["matomoMaxBufferSizeMb"] = new(Kind.Integer, 1, 10_000),
        ["orchSysinfoCheckMins"] = new(Kind.Integer, 1, 10_000),
        ["discoveryPeriodicIntervalMin"] = new(Kind.Integer, 1, 100_000),
        ["queryStatusIntervalSec"] = new(Kind.Integer, 1, 3600),
        ["parentCacheMaxBytes"] = new(Kind.Integer, 0, long.MaxValue),
        ["parentReportsMax"] = new(Kind.Integer, 100, 10_000_000),
        ["parentInactiveDeviceHours"] = new(Kind.Integer, 1, 24 * 366),
    };

    public static IEnumerable<string> Names => Rules.Keys;

    public static bool IsKnown(string name) => Rules.ContainsKey(name);

    /// <summary>Null when <paramref name="value"/> is acceptable for <paramref name="name"/>, else why not.</summary>
    public static string? Check(string name, JsonNode? value)
    {
        if (!Rules.TryGetValue(name, out var rule))
        {
            return $"'{name}' is not a setting (known: {string.Join(", ", Rules.Keys)})";
        }

        var kind = value?.GetValueKind();
        return rule.Kind switch
        {
            Kind.Boolean when kind is not (JsonValueKind.True or JsonValueKind.False) => $"'{name}' must be true or false",
            Kind.Integer when kind is not JsonValueKind.Number || WholeNumber(value!) is not { } => $"'{name}' must be a whole number",
            Kind.Integer when WholeNumber(value!) is { } n && (n < rule.Min || n > rule.Max) => $"'{name}' must be between {rule.Min} and {rule.Max}",
            Kind.Text or Kind.Url when kind is not JsonValueKind.String => $"'{name}' must be a string",
            Kind.Url when value!.GetValue<string>() is { Length: > 0 } url
                && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") => $"'{name}' must be an http(s) URL or empty",
            _ => null,
        };
    }

    /// <summary>
    /// The value as a whole number, whether it was parsed from a request (a JSON element) or built in code from an
    /// int, a long or a double; null when it is not one.
    /// </summary>
    private static long? WholeNumber(JsonNode value) =>
        long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
}
