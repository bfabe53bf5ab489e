using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// Reads one top-level property of a JSON object from its UTF-8 without building the object: for the few fields the
/// engines look up on every release (an id, the metadata), where parsing thousands of whole releases would not do.
/// </summary>
internal static class JsonScan
{
    /// <summary>The value of top-level property <paramref name="name"/> of the object in <paramref name="json"/>, as a node of its own; null when absent.</summary>
    public static JsonNode? Property(ReadOnlySpan<byte> json, string name)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                return JsonNode.Parse(ref reader);
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>
    /// <c>metadata.autoDeploy</c>-style flags: property <paramref name="name"/> of the object in top-level property
    /// <paramref name="parent"/>, true when it is <c>true</c> or a string <see cref="bool.TryParse(string, out bool)"/> reads as
    /// true. Nothing is allocated unless the flag is a string.
    /// </summary>
    public static bool Flag(ReadOnlySpan<byte> json, string parent, string name)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(parent);
            reader.Read();
            if (match)
            {
                return reader.TokenType == JsonTokenType.StartObject && FlagIn(ref reader, name);
            }

            reader.Skip();
        }

        return false;
    }

    private static bool FlagIn(ref Utf8JsonReader reader, string name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                return reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.String => bool.TryParse(reader.GetString(), out var b) && b,
                    _ => false,
                };
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>The string value of top-level property <paramref name="name"/>, or null when absent or not a string.</summary>
    public static string? String(ReadOnlySpan<byte> json, string name) =>
        Property(json, name) is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
