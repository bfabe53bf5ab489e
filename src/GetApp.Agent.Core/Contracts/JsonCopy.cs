using System.Text.Json;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// Copies JSON token by token from a reader to a writer, as <see cref="JsonElement.WriteTo"/> writes an element: strings
/// and property names unescaped and escaped again by the writer's encoder, numbers and literals as they are. So the
/// copy is what parsing into nodes and writing them gives, without the nodes.
/// </summary>
internal static class JsonCopy
{
    /// <summary>Writes the value at <paramref name="reader"/> (all of an object or array), leaving the reader on its last token.</summary>
    public static void Value(ref Utf8JsonReader reader, Utf8JsonWriter writer, ref byte[] scratch)
    {
        var depth = reader.CurrentDepth;
        Token(ref reader, writer, ref scratch);
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            while (reader.Read())
            {
                Token(ref reader, writer, ref scratch);
                if (reader.CurrentDepth == depth)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Writes the token at <paramref name="reader"/>: a property name or a string through <paramref name="scratch"/> when escaped.</summary>
    public static void Token(ref Utf8JsonReader reader, Utf8JsonWriter writer, ref byte[] scratch)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                break;
            case JsonTokenType.EndObject:
                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                break;
            case JsonTokenType.EndArray:
                writer.WriteEndArray();
                break;
            case JsonTokenType.PropertyName:
                writer.WritePropertyName(Unescaped(ref reader, ref scratch));
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(Unescaped(ref reader, ref scratch));
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                writer.WriteBooleanValue(reader.TokenType == JsonTokenType.True);
                break;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                break;
            default:
                throw new JsonException($"unexpected {reader.TokenType}");
        }
    }

    private static ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader, ref byte[] scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        if (scratch.Length < reader.ValueSpan.Length)
        {
            scratch = new byte[Math.Max(scratch.Length * 2, reader.ValueSpan.Length)];
        }

        var length = reader.CopyString(scratch);
        return scratch.AsSpan(0, length);
    }
}
