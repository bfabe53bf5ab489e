using System.Buffers;
using System.Globalization;
using System.Text.Unicode;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Reads top-level fields of a stored release JSON where they lie and writes them as the DOM path would
/// (<c>ReleaseStatusMapper</c> over a parsed <c>JsonObject</c>, written by the contract's serializer), for
/// <see cref="ReleaseStatusWriter"/>.
/// </summary>
internal static class ReleaseJsonFields
{
    // Fields of a release object beyond which the scan leaves it to the DOM (GetApp's release has about 20).
    private const int MaxFields = 64;

    /// <summary>
    /// Finds the top-level fields <paramref name="names"/> (each value's bytes, or an empty range when absent). False
    /// when the JSON is anything but one object in which each of them appears at most once, their strings valid UTF-8.
    /// </summary>
    public static bool TryScan(byte[] json, byte[][] names, Span<Range> fields)
    {
        fields.Clear();
        Span<bool> seen = stackalloc bool[names.Length];

        // Every name so far: the DOM refuses an object that names any field twice, so this does not write it either.
        Span<Range> all = stackalloc Range[MaxFields];
        var count = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // An escaped name, or more names than kept, goes the DOM's way (rare: upstreams write plain names).
                var name = reader.ValueSpan;
                if (reader.ValueIsEscaped || count == MaxFields)
                {
                    return false;
                }

                foreach (var earlier in all[..count])
                {
                    if (json.AsSpan(earlier).SequenceEqual(name))
                    {
                        return false;
                    }
                }

                var at = (int)reader.TokenStartIndex + 1; // after the quote
                all[count++] = new Range(at, at + name.Length);
                var field = -1;
                for (var i = 0; i < names.Length && field < 0; i++)
                {
                    if (name.Length == names[i].Length && name.SequenceEqual(names[i]))
                    {
                        field = i;
                    }
                }

                reader.Read();
                var start = (int)reader.TokenStartIndex;
                if (field >= 0 && reader.TokenType == JsonTokenType.String && !IsText(ref reader))
                {
                    return false;
                }

                reader.Skip();
                if (field >= 0)
                {
                    if (seen[field])
                    {
                        return false;
                    }

                    seen[field] = true;
                    fields[field] = start..(int)reader.BytesConsumed;
                }
            }

            // The object ends the document (what follows would make the DOM refuse it).
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // A string the DOM would read: valid UTF-8 once unescaped (a lone surrogate escaped is not).
    private static bool IsText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(reader.ValueSpan);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            return Utf8.IsValid(buffer.AsSpan(0, reader.CopyString(buffer)));
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The field's value token (JsonTokenType.None when the field is absent).
    public static Utf8JsonReader Token(byte[] json, Range field)
    {
        var reader = new Utf8JsonReader(json.AsSpan(field));
        if (json.AsSpan(field).Length > 0)
        {
            reader.Read();
        }

        return reader;
    }

    // ReleaseStatusMapper.Text: a string's value, else null (or the DTO's default).
    public static void WriteText(Utf8JsonWriter writer, byte[] json, Range field, byte[]? orElse)
    {
        var reader = Token(json, field);
        if (reader.TokenType != JsonTokenType.String)
        {
            if (orElse is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(orElse);
            }

            return;
        }

        if (!reader.ValueIsEscaped)
        {
            writer.WriteStringValue(reader.ValueSpan);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        writer.WriteStringValue(buffer.AsSpan(0, reader.CopyString(buffer)));
        ArrayPool<byte>.Shared.Return(buffer);
    }

    // ReleaseStatusMapper.Date, written as UtcDateTimeOffsetConverter writes it.
    public static void WriteDate(Utf8JsonWriter writer, byte[] json, Range field, DateTimeOffset? orElse)
    {
        var reader = Token(json, field);
        var date = orElse;
        if (reader.TokenType == JsonTokenType.String && IsWireDate(reader.ValueSpan))
        {
            // Already what the converter writes (UTC, milliseconds, Z) and a real date: parsing and formatting it gives it back.
            writer.WriteStringValue(reader.ValueSpan);
            return;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            // Unescaped and decoded at once: never more chars than the escaped bytes.
            var length = reader.ValueSpan.Length;
            var text = length <= 128 ? stackalloc char[length] : new char[length];
            text = text[..reader.CopyString(text)];
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                date = parsed;
            }
        }

        if (date is not { } value)
        {
            writer.WriteNullValue();
            return;
        }

        Span<char> formatted = stackalloc char[32];
        if (!value.UtcDateTime.TryFormat(formatted, out var written, UtcDateTimeOffsetConverter.Format, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a date does not fit its buffer");
        }

        writer.WriteStringValue(formatted[..written]);
    }

    /// <summary>
    /// True for <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (<see cref="UtcDateTimeOffsetConverter.Format"/>) naming a date that exists
    /// (no leap second, no 24:00): how GetApp's services write every date, and parsing it is most of a status's cost.
    /// </summary>
    private static bool IsWireDate(ReadOnlySpan<byte> text)
    {
        if (text.Length != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z')
        {
            return false;
        }

        foreach (var at in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22])
        {
            if (!char.IsAsciiDigit((char)text[at]))
            {
                return false;
            }
        }

        static int Two(ReadOnlySpan<byte> t, int at) => ((t[at] - '0') * 10) + (t[at + 1] - '0');
        var year = (Two(text, 0) * 100) + Two(text, 2);
        var month = Two(text, 5);
        return year >= 1 && month is >= 1 and <= 12 && Two(text, 8) is var day && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && Two(text, 11) < 24 && Two(text, 14) < 60 && Two(text, 17) < 60;
    }

    // ReleaseStatusMapper.Number: a number, or a string holding one.
    public static double? Number(byte[] json, Range field)
    {
        var reader = Token(json, field);
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetDouble(out var number) ? number : null;
            case JsonTokenType.String:
                var length = reader.ValueSpan.Length;
                var text = length <= 128 ? stackalloc char[length] : new char[length];
                text = text[..reader.CopyString(text)];
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            default:
                return null;
        }
    }

    public static void WriteNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>
    /// An object (or array) field as the DOM writes it (<c>JsonElement.WriteTo</c>): names and strings unescaped and
    /// escaped again by the writer, numbers as they are written; anything else is null.
    /// </summary>
    public static void WriteTree(Utf8JsonWriter writer, byte[] json, Range field, JsonTokenType kind)
    {
        var reader = Token(json, field);
        if (reader.TokenType != kind)
        {
            writer.WriteNullValue();
            return;
        }

        // The reader holds exactly the field's value: its tokens, to the closing one.
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                case JsonTokenType.PropertyName or JsonTokenType.String:
                    var buffer = reader.ValueIsEscaped ? ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length) : null;
                    var text = buffer is null ? reader.ValueSpan : buffer.AsSpan(0, reader.CopyString(buffer));
                    if (reader.TokenType == JsonTokenType.PropertyName)
                    {
                        writer.WritePropertyName(text);
                    }
                    else
                    {
                        writer.WriteStringValue(text);
                    }

                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    break;
                case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                default: writer.WriteNullValue(); break;
            }
        }
        while (reader.Read());
    }
}
