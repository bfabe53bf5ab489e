using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// Finds a JSON string (a key or a value) that cannot be read as text: one that escapes half of a UTF-16 surrogate pair
/// (<c>"\ud800"</c>), or holds bytes that are not UTF-8. The document is well formed, so a parser accepts it, but reading
/// or writing that string throws; the API refuses such a body with a 400 saying where, instead of failing later.
/// </summary>
public static class JsonUnreadableStrings
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// The path of the first unreadable string (<c>$.a.b[1]</c> for a value; the object's path, <c>$</c> or <c>$.a</c>,
    /// for a key), or null. Malformed JSON throws <see cref="JsonException"/>, as parsing would.
    /// </summary>
    public static string? Find(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        var path = new List<(string Segment, bool IsArray, int Index)>();
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    if (!IsText(ref reader, out property))
                    {
                        return PathOf(path, null);
                    }

                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    path.Add((NextSegment(path, property), reader.TokenType == JsonTokenType.StartArray, -1));
                    property = null;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    path.RemoveAt(path.Count - 1);
                    break;
                default:
                    var segment = NextSegment(path, property);
                    property = null;
                    if (reader.TokenType == JsonTokenType.String && !IsText(ref reader, out _))
                    {
                        return PathOf(path, segment);
                    }

                    break;
            }
        }

        return null;
    }

    private static bool IsText(ref Utf8JsonReader reader, out string? text)
    {
        try
        {
            text = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            // "Cannot read incomplete UTF-16 JSON text as string with missing low surrogate", or invalid UTF-8.
            text = null;
            return false;
        }
    }

    private static string NextSegment(List<(string Segment, bool IsArray, int Index)> path, string? property)
    {
        if (path.Count == 0)
        {
            return "$";
        }

        var parent = path[^1];
        if (!parent.IsArray)
        {
            return "." + property;
        }

        path[^1] = parent with { Index = parent.Index + 1 };
        return string.Create(CultureInfo.InvariantCulture, $"[{parent.Index + 1}]");
    }

    private static string PathOf(List<(string Segment, bool IsArray, int Index)> path, string? last)
    {
        var text = new StringBuilder();
        foreach (var (segment, _, _) in path)
        {
            text.Append(segment);
        }

        return text.Append(last).ToString();
    }
}
