using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// A child's times are in this agent's clock: a child estimates its upstream's clock from the <c>Date</c> headers of the
/// upstream's answers, and this agent is its upstream. The GetApp server compares them with its own clock (a discovery's
/// <c>snapshotDate</c>, a report's <c>currentTime</c>), so they are moved into the upstream's time with this agent's own
/// estimate of the offset (<c>ServerClock</c>) before they are relayed. Along a chain each hop adds its own offset.
/// </summary>
internal static class ChildTimes
{
    /// <summary>Rewrites each date field present in <paramref name="node"/> with <paramref name="convert"/>; fields that are not dates are left as they are.</summary>
    public static void Convert(JsonObject? node, IEnumerable<string> fields, Func<DateTimeOffset, DateTimeOffset> convert) =>
        Convert(node, fields, (_, date) => convert(date));

    /// <summary>As above, with the field's name given to <paramref name="convert"/>.</summary>
    public static void Convert(JsonObject? node, IEnumerable<string> fields, Func<string, DateTimeOffset, DateTimeOffset> convert)
    {
        if (node is null)
        {
            return;
        }

        foreach (var field in fields)
        {
            if (node[field] is JsonValue value && value.TryGetValue<string>(out var text) && Parse(text) is { } date)
            {
                node[field] = UtcDateTimeOffsetConverter.ToWire(convert(field, date));
            }
        }
    }

    public static DateTimeOffset? Parse(string text) =>
        text.Length >= 10 && text[4] == '-'
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value : null;
}
