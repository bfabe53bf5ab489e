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
/// side); a release JSON not written the plain way (a field twice, not an object, not UTF-8) goes the DTO's way.
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
        Span<Range> fields = stackalloc Range[Names.Length];
        if (!ReleaseJsonFields.TryScan(row.ReleaseJson, Names, fields))
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
        WriteRelease(writer, row, row.ReleaseJson, fields);
        writer.WritePropertyName("state"u8);
        writer.WriteRawValue(States[row.State], skipInputValidation: true);
        writer.WriteEndObject();
    }

    private static void WriteRelease(Utf8JsonWriter writer, ReleaseRow row, byte[] json, ReadOnlySpan<Range> fields)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("createdAt"u8);
        ReleaseJsonFields.WriteDate(writer, json, fields[CreatedAt], row.DiscoveredAt);
        writer.WriteStartArray("dependencies"u8);
        foreach (var dependency in row.Dependencies)
        {
            writer.WriteStringValue(dependency);
        }

        writer.WriteEndArray();
        ReleaseJsonFields.WriteText(writer, "displayName"u8, json, fields[DisplayName], null);
        writer.WriteString("id"u8, row.CatalogId);
        ReleaseJsonFields.WriteText(writer, "label"u8, json, fields[Label], null);
        writer.WritePropertyName("latest"u8);
        switch (ReleaseJsonFields.Token(json, fields[Latest]).TokenType)
        {
            case JsonTokenType.True: writer.WriteBooleanValue(true); break;
            case JsonTokenType.False: writer.WriteBooleanValue(false); break;
            default: writer.WriteNullValue(); break;
        }

        ReleaseJsonFields.WriteTree(writer, "metadata"u8, json, fields[Metadata], JsonTokenType.StartObject);
        ReleaseJsonFields.WriteTree(writer, "policies"u8, json, fields[Policies], JsonTokenType.StartArray);
        writer.WriteNumber("projectId"u8, ReleaseJsonFields.Number(json, fields[ProjectId]) is { } id ? (int)id : 0);
        ReleaseJsonFields.WriteText(writer, "projectName"u8, json, fields[ProjectName], Empty);
        ReleaseJsonFields.WriteText(writer, "releaseNotes"u8, json, fields[ReleaseNotes], null);
        writer.WritePropertyName("releasedAt"u8);
        ReleaseJsonFields.WriteDate(writer, json, fields[ReleasedAt], null);
        ReleaseJsonFields.WriteNumber(writer, "size"u8, ReleaseJsonFields.Number(json, fields[Size]) is { } size ? (long)size : null);
        ReleaseJsonFields.WriteText(writer, "status"u8, json, fields[Status], Released);
        ReleaseJsonFields.WriteText(writer, "type"u8, json, fields[Type], Product);
        writer.WritePropertyName("updatedAt"u8);
        ReleaseJsonFields.WriteDate(writer, json, fields[UpdatedAt], row.UpdatedAt);
        ReleaseJsonFields.WriteText(writer, "version"u8, json, fields[Version], Empty);
        writer.WriteEndObject();
    }
}
