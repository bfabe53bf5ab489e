using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Upstream.OfflineCatalog;

/// <summary>
/// Reads one catalog entry straight from the file's UTF-8 into what the store keeps, without a tree of nodes: the
/// release and its hierarchy are copied token by token, in the store's format (what <see cref="StoredJson"/> writes of
/// their nodes), into buffers reused from entry to entry, and the release's required fields are checked on the way. An
/// entry whose JSON equals what the device already stores for it shares that row's arrays: reading an unchanged
/// catalog of thousands of releases keeps almost nothing new.
/// </summary>
/// <remarks>
/// It reads only entries written the plain way. Anything else (a value of an unexpected type, a property spelled in
/// another case, escaped or twice, a field that fails its check) makes it step aside (<see cref="TryRead"/> is false),
/// and the caller reads that entry the thorough way (the serializer and <c>CatalogReader.CheckRelease</c>), which gives
/// the usual answer or the usual error. So it accepts only what the thorough way accepts, and gives the same bytes.
/// </remarks>
internal sealed class CatalogEntryReader
{
    // The entry's properties (the serializer matches them case-insensitively: another spelling steps aside).
    private const int ReleaseBit = 1;
    private const int IsPushBit = 2;
    private const int DependedOnByBit = 4;
    private const int HierarchyBit = 8;
    private const int AvailableBit = 16;
    private const int ArtifactsBit = 32;

    private static readonly byte[][] EntryNames =
        ["release"u8.ToArray(), "isPush"u8.ToArray(), "dependedOnBy"u8.ToArray(), "hierarchyTrees"u8.ToArray(), "available"u8.ToArray(), "artifacts"u8.ToArray()];

    // The release fields CatalogReader checks, in this order (a JsonObject looks names up case-insensitively).
    private static readonly byte[][] CheckedNames =
    [
        "id"u8.ToArray(), "version"u8.ToArray(), "projectName"u8.ToArray(), "projectId"u8.ToArray(), "status"u8.ToArray(), "type"u8.ToArray(),
        "createdAt"u8.ToArray(), "updatedAt"u8.ToArray(), "releasedAt"u8.ToArray(),
    ];

    private static readonly byte[][] KnownStatuses = [.. CatalogReader.KnownStatuses.Select(Encoding.UTF8.GetBytes)];
    private static readonly byte[][] KnownTypes = [.. CatalogReader.KnownTypes.Select(Encoding.UTF8.GetBytes)];

    private readonly Func<string, ReleaseRow?> _stored;
    private readonly ArrayBufferWriter<byte> _release = new(4096);
    private readonly ArrayBufferWriter<byte> _hierarchy = new(1024);
    private readonly ArrayBufferWriter<byte> _artifacts = new(1024);
    private readonly ArrayBufferWriter<byte> _atRest = new(1024);
    private readonly Utf8JsonWriter _writer;

    // The artifacts are stored as the serializer writes them, with the contract's encoder.
    private readonly Utf8JsonWriter _artifactsWriter;
    private readonly List<string> _dependents = [];
    private readonly List<Range> _names = [];
    private byte[] _nameBytes = new byte[512];
    private byte[] _scratch = new byte[1024];
    private bool _hasHierarchy;
    private bool _hasDependents;

    /// <param name="stored">The row the device stores for a catalog id, if any: its arrays are shared when equal.</param>
    public CatalogEntryReader(Func<string, ReleaseRow?> stored)
    {
        _stored = stored;
        _writer = new Utf8JsonWriter(_release);
        _artifactsWriter = new Utf8JsonWriter(_artifacts, new JsonWriterOptions { Encoder = AgentJson.Context.Options.Encoder });
    }

    /// <summary>The entry's <c>release.id</c> (after a successful <see cref="TryRead"/>).</summary>
    public string Id { get; private set; } = "";

    /// <summary>The entry's artifacts, as the serializer reads them (after a successful <see cref="TryRead"/>), for the caller's checks.</summary>
    public IReadOnlyList<ArtifactSpec>? Artifacts { get; private set; }

    private bool IsPush { get; set; }

    private bool? Available { get; set; }

    /// <summary>
    /// Reads the entry at <paramref name="reader"/> (a copy: the caller's stays where it was), which lies whole in the
    /// reader's data. False when the entry is not one this reader reads: read it the thorough way then.
    /// </summary>
    public bool TryRead(Utf8JsonReader reader)
    {
        Id = "";
        Artifacts = null;
        IsPush = false;
        Available = null;
        _hasHierarchy = false;
        _hasDependents = false;
        _dependents.Clear();
        try
        {
            return ReadEntry(ref reader);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            // Not valid the way this reader reads it (a type the serializer refuses, text that is not UTF-8...): the
            // thorough way tells what is wrong.
            return false;
        }
    }

    /// <summary>The entry just read, checked by the caller, as the reader's result: its JSON in arrays of its own, or the stored row's where equal.</summary>
    public OfferedRelease Take()
    {
        var stored = _stored(Id);
        var release = Keep(_release.WrittenSpan, stored?.ReleaseJson);
        var hierarchy = _hasHierarchy ? Keep(_hierarchy.WrittenSpan, stored?.HierarchyJson) : null;
        byte[]? artifactsJson = null;
        byte[] atRest;
        if (Artifacts is { } artifacts)
        {
            Write(_artifacts, artifacts);
            if (artifacts.All(a => ReferenceEquals(SafeUrl.Masked(a.Url), a.Url)))
            {
                atRest = artifactsJson = Keep(_artifacts.WrittenSpan, stored?.ArtifactsJson);
            }
            else
            {
                Write(_atRest, [.. artifacts.Select(a => a.AtRest())]);
                atRest = Keep(_atRest.WrittenSpan, stored?.ArtifactsJson);
                artifactsJson = _artifacts.WrittenSpan.ToArray();
            }
        }
        else
        {
            atRest = Keep("[]"u8, stored?.ArtifactsJson);
        }

        return OfferedRelease.OfStoredJson(stored?.CatalogId ?? Id, release, hierarchy, artifactsJson, atRest, IsPush,
            _hasDependents ? (_dependents.Count == 0 ? [] : [.. _dependents]) : null, Available);
    }

    private static byte[] Keep(ReadOnlySpan<byte> json, byte[]? stored) => stored is not null && json.SequenceEqual(stored) ? stored : json.ToArray();

    private void Write(ArrayBufferWriter<byte> buffer, IReadOnlyList<ArtifactSpec> artifacts)
    {
        buffer.ResetWrittenCount();
        _artifactsWriter.Reset(buffer);
        JsonSerializer.Serialize(_artifactsWriter, artifacts, AgentJson.Context.IReadOnlyListArtifactSpec);
        _artifactsWriter.Flush();
    }

    private bool ReadEntry(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var which = EntryProperty(ref reader);
            if (which < 0 || (seen & which) != 0)
            {
                return false;
            }

            seen |= which;
            reader.Read();
            var ok = which switch
            {
                ReleaseBit => reader.TokenType == JsonTokenType.StartObject && CopyRelease(ref reader),
                IsPushBit => ReadIsPush(ref reader),
                AvailableBit => ReadAvailable(ref reader),
                DependedOnByBit => ReadDependents(ref reader),
                HierarchyBit => ReadHierarchy(ref reader),
                ArtifactsBit => ReadArtifacts(ref reader),
                _ => reader.TrySkip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && (seen & ReleaseBit) != 0;
    }

    /// <summary>The property's bit, 0 for a property the serializer skips, -1 for a name this reader does not read.</summary>
    private static int EntryProperty(ref Utf8JsonReader reader)
    {
        var name = reader.ValueSpan;
        if (reader.ValueIsEscaped || !Ascii.IsValid(name) || (name.Length > 0 && name[0] == (byte)'$'))
        {
            return -1;
        }

        for (var i = 0; i < EntryNames.Length; i++)
        {
            if (name.SequenceEqual(EntryNames[i]))
            {
                return 1 << i;
            }

            if (Ascii.EqualsIgnoreCase(name, EntryNames[i]))
            {
                return -1;
            }
        }

        return 0;
    }

    private bool ReadIsPush(ref Utf8JsonReader reader)
    {
        IsPush = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }

    private bool ReadAvailable(ref Utf8JsonReader reader)
    {
        Available = reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => null,
        };
        return Available is not null || reader.TokenType == JsonTokenType.Null;
    }

    private bool ReadDependents(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        _hasDependents = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            var id = reader.GetString()!;
            if (id.Length == 0)
            {
                // Refused by the thorough way, which names the release.
                return false;
            }

            _dependents.Add(id);
        }

        return reader.TokenType == JsonTokenType.EndArray;
    }

    private bool ReadHierarchy(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        _hasHierarchy = true;
        _hierarchy.ResetWrittenCount();
        _writer.Reset(_hierarchy);
        CopyValue(ref reader);
        _writer.Flush();
        return true;
    }

    private bool ReadArtifacts(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        Artifacts = JsonSerializer.Deserialize(ref reader, AgentJson.Context.IReadOnlyListArtifactSpec);
        return Artifacts is not null && !Artifacts.Any(a => a is null);
    }

    /// <summary>Copies the release object, checking its required fields as <c>CatalogReader.CheckRelease</c> does; false when it would not pass.</summary>
    private bool CopyRelease(ref Utf8JsonReader reader)
    {
        _release.ResetWrittenCount();
        _writer.Reset(_release);
        _names.Clear();
        _writer.WriteStartObject();
        var found = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            if (reader.ValueIsEscaped || !Ascii.IsValid(name) || !FirstTime(name))
            {
                return false;
            }

            var field = CheckedField(name);
            if (field == -1)
            {
                return false;
            }

            _writer.WritePropertyName(name);
            reader.Read();
            if (field >= 0)
            {
                if (!CheckField(ref reader, field))
                {
                    return false;
                }

                found |= 1 << field;
            }

            CopyValue(ref reader);
        }

        _writer.WriteEndObject();
        _writer.Flush();

        // id, version, projectName and projectId are required; the rest only checked when present.
        return reader.TokenType == JsonTokenType.EndObject && (found & 0b1111) == 0b1111;
    }

    /// <summary>True when no earlier property of the release has this name, in any case (a JsonObject's names are case-insensitive).</summary>
    private bool FirstTime(ReadOnlySpan<byte> name)
    {
        foreach (var range in _names)
        {
            if (Ascii.EqualsIgnoreCase(_nameBytes.AsSpan(range), name))
            {
                return false;
            }
        }

        var start = _names.Count == 0 ? 0 : _names[^1].End.Value;
        if (start + name.Length > _nameBytes.Length)
        {
            Array.Resize(ref _nameBytes, Math.Max(_nameBytes.Length * 2, start + name.Length));
        }

        name.CopyTo(_nameBytes.AsSpan(start));
        _names.Add(new Range(start, start + name.Length));
        return true;
    }

    /// <summary>The index of a checked field, -2 for any other name, -1 for a checked field's name in another case.</summary>
    private static int CheckedField(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < CheckedNames.Length; i++)
        {
            if (name.SequenceEqual(CheckedNames[i]))
            {
                return i;
            }

            if (Ascii.EqualsIgnoreCase(name, CheckedNames[i]))
            {
                return -1;
            }
        }

        return -2;
    }

    private bool CheckField(ref Utf8JsonReader reader, int field)
    {
        var type = reader.TokenType;
        switch (field)
        {
            case 0: // id
                if (type != JsonTokenType.String)
                {
                    return false;
                }

                Id = reader.GetString()!;
                return true;
            case 1 or 2: // version, projectName: a string, not blank
                return type == JsonTokenType.String && (HasVisibleAscii(ref reader) || !string.IsNullOrWhiteSpace(reader.GetString()));
            case 3: // projectId: an integer
                return type == JsonTokenType.Number && reader.TryGetInt32(out _);
            case 4 or 5: // status, type: absent, null or one of the known words
                return type == JsonTokenType.Null || (type == JsonTokenType.String && OneOf(ref reader, field == 4 ? KnownStatuses : KnownTypes));
            default: // dates: absent, null or ISO 8601
                return type == JsonTokenType.Null || (type == JsonTokenType.String && IsDate(ref reader));
        }
    }

    private static bool HasVisibleAscii(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return false;
        }

        foreach (var b in reader.ValueSpan)
        {
            if (b is > (byte)' ' and < 0x7F)
            {
                return true;
            }
        }

        return false;
    }

    private static bool OneOf(ref Utf8JsonReader reader, byte[][] words)
    {
        foreach (var word in words)
        {
            if (reader.ValueTextEquals(word))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDate(ref Utf8JsonReader reader)
    {
        var text = reader.ValueSpan;
        if (reader.ValueIsEscaped || text.Length > 64 || !Ascii.IsValid(text))
        {
            return DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
        }

        Span<char> chars = stackalloc char[64];
        Ascii.ToUtf16(text, chars, out var length);
        return DateTimeOffset.TryParse(chars[..length], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
    }

    private void CopyValue(ref Utf8JsonReader reader) => JsonCopy.Value(ref reader, _writer, ref _scratch);
}
