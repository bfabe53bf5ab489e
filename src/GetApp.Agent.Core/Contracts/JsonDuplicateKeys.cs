using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// Finds a key that appears twice in the same JSON object, at any depth. Such a document is ambiguous (parsers disagree on
/// which value wins; <c>JsonObject</c> throws), so the API refuses it with a 400 naming the key instead of guessing.
/// </summary>
public static class JsonDuplicateKeys
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// The first repeated key and the path of the object holding it (<c>$</c>, <c>$.a.b</c>, <c>$.list[1]</c>), or null
    /// when every object names each key once. Malformed JSON throws <see cref="JsonException"/>, as parsing would.
    /// </summary>
    public static (string Key, string Path)? Find(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        var frames = new List<Frame>();
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString()!;
                    if (!frames[^1].Keys!.Add(property))
                    {
                        return (property, PathOf(frames));
                    }

                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    frames.Add(new Frame(SegmentOf(frames, property), reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null));
                    property = null;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
                default:
                    // A value: inside an array it takes the next index.
                    SegmentOf(frames, property);
                    property = null;
                    break;
            }
        }

        return null;
    }

    private static string SegmentOf(List<Frame> frames, string? property)
    {
        if (frames.Count == 0)
        {
            return "$";
        }

        var parent = frames[^1];
        return parent.Keys is not null ? "." + property : string.Create(CultureInfo.InvariantCulture, $"[{++parent.Index}]");
    }

    private static string PathOf(List<Frame> frames)
    {
        var path = new StringBuilder();
        foreach (var frame in frames)
        {
            path.Append(frame.Segment);
        }

        return path.ToString();
    }

    private sealed class Frame(string segment, HashSet<string>? keys)
    {
        public string Segment { get; } = segment;
        public HashSet<string>? Keys { get; } = keys;
        public int Index { get; set; } = -1;
    }
}
