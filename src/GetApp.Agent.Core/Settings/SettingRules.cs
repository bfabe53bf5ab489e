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

    /// <summary>A setting's kind and, for a number, its range: every number has both bounds, so no value can overflow what uses it.</summary>
    private sealed record Rule(Kind Kind, long Min = 0, long Max = 0)
    {
        public static readonly Rule Boolean = new(Kind.Boolean);
        public static readonly Rule Text = new(Kind.Text);
        public static readonly Rule Url = new(Kind.Url);

        public static Rule Integer(long min, long max) => new(Kind.Integer, min, max);
    }

    /// <summary>1 TiB: more free space than any device this agent runs on would keep spare.</summary>
    public const long MaxStorageBufferBytes = 1L << 40;

    /// <summary>1 PiB: a parent's cache of children's files, bounded so that sums of sizes against it cannot overflow.</summary>
    public const long MaxParentCacheBytes = 1L << 50;

    // Ranges are documented in docs/api.md and the OpenAPI document (a test keeps the three equal).
    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        ["tcpTimeout"] = Rule.Integer(1, 600),
        ["networkConnectionRefreshEnabled"] = Rule.Boolean,
        ["networkConnectionRefreshIntervalSecs"] = Rule.Integer(1, 86_400),
        ["deliveryAutoTrigger"] = Rule.Boolean,
        ["deliveryStorageBufferBytes"] = Rule.Integer(0, MaxStorageBufferBytes),
        ["maxParallelDeliveries"] = Rule.Integer(1, 16),
        ["deliveryTimeoutMins"] = Rule.Integer(1, 7 * 24 * 60),
        ["downloadRetryCount"] = Rule.Integer(0, 100),
        ["deliveryRetryDelaySecs"] = Rule.Integer(0, 3600),
        ["stallTimeoutSecs"] = Rule.Integer(1, 3600),
        ["deployAutoOnPull"] = Rule.Boolean,
        ["deployTimeoutSec"] = Rule.Integer(1, 7 * 24 * 3600),
        ["logsRunDispatchJob"] = Rule.Boolean,
        ["matomoUseBuffer"] = Rule.Boolean,
        ["matomoServerUrl"] = Rule.Url,
        ["matomoSiteId"] = Rule.Text,
        ["matomoDimensionId"] = Rule.Text,
        ["matomoMaxRetentionHours"] = Rule.Integer(1, 100_000),
        ["matomoMaxBufferSizeMb"] = Rule.Integer(1, 10_000),
        ["orchSysinfoCheckMins"] = Rule.Integer(1, 10_000),
        ["discoveryPeriodicIntervalMin"] = Rule.Integer(1, 100_000),
        ["queryStatusIntervalSec"] = Rule.Integer(1, 3600),
        ["parentCacheMaxBytes"] = Rule.Integer(0, MaxParentCacheBytes),
        ["parentReportsMax"] = Rule.Integer(100, 10_000_000),
        ["cdnInactiveAfterHours"] = Rule.Integer(1, 24 * 366),
        ["cdnForgetAfterDays"] = Rule.Integer(1, 3660),
        ["orchestrateMe"] = Rule.Boolean,
        ["reactiveMode"] = Rule.Boolean,
    };

    public static IEnumerable<string> Names => Rules.Keys;

    public static bool IsKnown(string name) => Rules.ContainsKey(name);

    /// <summary>The allowed range of a numeric setting (what the API documents), or null for one that is not a number.</summary>
    public static (long Min, long Max)? RangeOf(string name) =>
        Rules.TryGetValue(name, out var rule) && rule.Kind == Kind.Integer ? (rule.Min, rule.Max) : null;

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
