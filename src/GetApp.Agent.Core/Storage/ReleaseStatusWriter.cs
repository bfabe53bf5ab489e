using System.Buffers;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Writes a release's status (the body of <c>GET /api/v2/device/releases/{id}</c>) straight from the row and its stored
/// release JSON, with no DOM and no DTO: the list renders every release on each request instead of keeping a rendered
/// copy of each (MiBs with thousands of releases), so rendering one must cost little. Byte for byte what the contract's
/// serializer writes for <see cref="ReleaseStatusMapper.ToStatusDto"/> (ReleaseStatusWriterTests hold the two side by
/// side); a release JSON not written the plain way (a field twice, not an object, not UTF-8) goes the DTO's way. Where
/// each field lies, and which are copied as stored, is found once per row (<see cref="ReleaseJsonLayout"/>).
/// </summary>
internal static class ReleaseStatusWriter
{
    private static readonly Dictionary<ReleaseState, byte[]> States = Enum.GetValues<ReleaseState>().ToDictionary(s => s, s => JsonSerializer.SerializeToUtf8Bytes(s, AgentJson.Context.ReleaseState));
    private static readonly Dictionary<DeliveryState, byte[]> DeliveryStates = Enum.GetValues<DeliveryState>().ToDictionary(s => s, s => JsonSerializer.SerializeToUtf8Bytes(s, AgentJson.Context.DeliveryState));

    // ReleaseStatusMapper's defaults for fields that are not strings.
    private static readonly byte[] Empty = [];
    private static readonly byte[] Released = "released"u8.ToArray();
    private static readonly byte[] Product = "product"u8.ToArray();

    // The release object's fields the status shows, in the order ReleaseDto writes them.
    internal static readonly byte[][] Names =
    [
        "createdAt"u8.ToArray(), "displayName"u8.ToArray(), "label"u8.ToArray(), "latest"u8.ToArray(), "metadata"u8.ToArray(),
        "policies"u8.ToArray(), "projectId"u8.ToArray(), "projectName"u8.ToArray(), "releaseNotes"u8.ToArray(), "releasedAt"u8.ToArray(),
        "size"u8.ToArray(), "status"u8.ToArray(), "type"u8.ToArray(), "updatedAt"u8.ToArray(), "version"u8.ToArray(),
    ];

    // The names as the writer writes them, escaped once (they need none).
    private static readonly JsonEncodedText[] EncodedNames = [.. Names.Select(name => JsonEncodedText.Encode(name, AgentJson.Context.Options.Encoder))];

    // Each thread's scratch for finding a row's layout (the list's first pass finds 10,000 at once).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    internal const int CreatedAt = 0, DisplayName = 1, Label = 2, Latest = 3, Metadata = 4, Policies = 5, ProjectId = 6, ProjectName = 7,
        ReleaseNotes = 8, ReleasedAt = 9, Size = 10, Status = 11, Type = 12, UpdatedAt = 13, Version = 14;

    /// <summary>The options of a writer <see cref="Write"/> writes with: the contract serializer's escaping.</summary>
    public static JsonWriterOptions WriterOptions => new() { Encoder = AgentJson.Context.Options.Encoder, SkipValidation = true };

    /// <summary>
    /// The length of what <see cref="Write"/> writes for <paramref name="row"/>, measured with <paramref name="writer"/>
    /// into <paramref name="scratch"/>. Without live progress a row's status never changes: measured once, then remembered.
    /// </summary>
    public static int Length(ReleaseRow row, LiveProgress? live, Utf8JsonWriter writer, ArrayBufferWriter<byte> scratch)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(scratch);
        var shown = ReleaseStatusMapper.ShowsLiveProgress(row.Position) ? live : null;
        if (shown is null && row.StatusLength is > 0 and var known)
        {
            return known;
        }

        scratch.ResetWrittenCount();
        writer.Reset(scratch);
        Write(writer, row, shown);
        writer.Flush();
        if (shown is null)
        {
            row.StatusLength = scratch.WrittenCount;
        }

        return scratch.WrittenCount;
    }

    /// <summary>Writes the status of <paramref name="row"/> (a release on the device) as one JSON value.</summary>
    public static void Write(Utf8JsonWriter writer, ReleaseRow row, LiveProgress? live)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(row);
        var layout = LayoutOf(row);
        if (!layout.IsPlain)
        {
            JsonSerializer.Serialize(writer, ReleaseStatusMapper.ToStatusDto(row.ToRecord(), live), AgentJson.Context.DeviceReleaseStatusDto);
            return;
        }

        var position = row.Position;
        var running = ReleaseStatusMapper.ShowsLiveProgress(position);
        var progress = running && live is { } l ? l.Progress : row.Progress;
        long? eta = running ? (live is { } e ? e.Eta : row.Eta) : null;
        var status = row.State is ReleaseState.Delivery or ReleaseState.Downloaded ? position.DeliveryStatus?.ToString() : position.DeployStatus?.ToString();

        writer.WriteStartObject();
        writer.WriteString("artsDirPath"u8, row.ArtsDirPath);
        writer.WritePropertyName("deliveryState"u8);
        if (position.DeliveryState is { } deliveryState)
        {
            writer.WriteRawValue(DeliveryStates[deliveryState], skipInputValidation: true);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteString("deviceReleaseStatus"u8, status);
        ReleaseJsonFields.WriteNumber(writer, "downloadDuration"u8, row.DownloadDuration);
        writer.WriteString("errMsg"u8, row.ErrMsg);
        ReleaseJsonFields.WriteNumber(writer, "eta"u8, eta);
        writer.WritePropertyName("progress"u8);
        if (progress is { } p)
        {
            writer.WriteNumberValue(Math.Round(p, 2));
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WritePropertyName("release"u8);
        WriteRelease(writer, row, row.ReleaseJson, layout);
        writer.WritePropertyName("state"u8);
        writer.WriteRawValue(States[row.State], skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Where the status's fields lie in <paramref name="row"/>'s release JSON and which are copied as they are: found on
    /// the row's first status written, by writing each field's value and comparing it with the stored bytes (so a field
    /// is verbatim exactly when writing it gives those bytes), then kept with the row.
    /// </summary>
    internal static ReleaseJsonLayout LayoutOf(ReleaseRow row)
    {
        if (row.Layout is { } known)
        {
            return new ReleaseJsonLayout(known);
        }

        var json = row.ReleaseJson;
        Span<Range> fields = stackalloc Range[Names.Length];
        var spans = ReleaseJsonLayout.NotPlainLayout;
        if (ReleaseJsonFields.TryScan(json, Names, fields))
        {
            var scratch = t_scratch ??= new ArrayBufferWriter<byte>(256);
            var writer = t_writer ??= new Utf8JsonWriter(scratch, WriterOptions);
            var verbatim = 0;
            for (var field = 0; field < fields.Length; field++)
            {
                if (json.AsSpan(fields[field]).IsEmpty)
                {
                    continue;
                }

                scratch.ResetWrittenCount();
                writer.Reset(scratch);
                WriteValue(writer, row, json, fields[field], field);
                writer.Flush();
                if (scratch.WrittenSpan.SequenceEqual(json.AsSpan(fields[field])))
                {
                    verbatim |= 1 << field;
                }
            }

            // A long value should not stay in this thread's scratch for good.
            if (scratch.Capacity > 4096)
            {
                t_scratch = null;
                t_writer = null;
            }

            spans = ReleaseJsonLayout.Of(fields, verbatim);
        }

        row.Layout = spans;
        return new ReleaseJsonLayout(spans);
    }

    private static void WriteRelease(Utf8JsonWriter writer, ReleaseRow row, byte[] json, ReleaseJsonLayout layout)
    {
        writer.WriteStartObject();
        WriteField(writer, row, json, layout, CreatedAt);
        writer.WriteStartArray("dependencies"u8);
        foreach (var dependency in row.Dependencies)
        {
            writer.WriteStringValue(dependency);
        }

        writer.WriteEndArray();
        WriteField(writer, row, json, layout, DisplayName);
        writer.WriteString("id"u8, row.CatalogId);
        // The rest in the order of Names, which is ReleaseDto's.
        for (var field = Label; field <= Version; field++)
        {
            WriteField(writer, row, json, layout, field);
        }

        writer.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter writer, ReleaseRow row, byte[] json, ReleaseJsonLayout layout, int field)
    {
        writer.WritePropertyName(EncodedNames[field]);
        if (layout.IsVerbatim(field))
        {
            writer.WriteRawValue(json.AsSpan(layout[field]), skipInputValidation: true);
        }
        else
        {
            WriteValue(writer, row, json, layout[field], field);
        }
    }

    // The value ReleaseStatusMapper gives the release field, from its stored bytes (an empty range: absent).
    private static void WriteValue(Utf8JsonWriter writer, ReleaseRow row, byte[] json, Range value, int field)
    {
        switch (field)
        {
            case CreatedAt: ReleaseJsonFields.WriteDate(writer, json, value, row.DiscoveredAt); break;
            case DisplayName or Label or ReleaseNotes: ReleaseJsonFields.WriteText(writer, json, value, null); break;
            case ProjectName or Version: ReleaseJsonFields.WriteText(writer, json, value, Empty); break;
            case Status: ReleaseJsonFields.WriteText(writer, json, value, Released); break;
            case Type: ReleaseJsonFields.WriteText(writer, json, value, Product); break;
            case Metadata: ReleaseJsonFields.WriteTree(writer, json, value, JsonTokenType.StartObject); break;
            case Policies: ReleaseJsonFields.WriteTree(writer, json, value, JsonTokenType.StartArray); break;
            case ProjectId: writer.WriteNumberValue(ReleaseJsonFields.Number(json, value) is { } id ? (int)id : 0); break;
            case ReleasedAt: ReleaseJsonFields.WriteDate(writer, json, value, null); break;
            case UpdatedAt: ReleaseJsonFields.WriteDate(writer, json, value, row.UpdatedAt); break;
            case Size:
                if (ReleaseJsonFields.Number(json, value) is { } size)
                {
                    writer.WriteNumberValue((long)size);
                }
                else
                {
                    writer.WriteNullValue();
                }

                break;
            case Latest:
                switch (ReleaseJsonFields.Token(json, value).TokenType)
                {
                    case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                    case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                    default: writer.WriteNullValue(); break;
                }

                break;
            default: throw new ArgumentOutOfRangeException(nameof(field));
        }
    }
}
