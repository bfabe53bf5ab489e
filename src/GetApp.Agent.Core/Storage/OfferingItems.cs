using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Writes the items of <c>GET /api/v2/device/offering</c> (and of the <c>offering</c> event) from the rows, one at a
/// time, into a buffer reused from item to item: byte for byte what serialising
/// <see cref="ReleaseStatusMapper.ToOfferingDto"/> gives, without keeping any of it. Rendered items of a catalog of
/// thousands of offers would be held beside the rows (about as large as the rows' own JSON) for a route read now and
/// then; writing one from its row costs microseconds.
/// </summary>
/// <remarks>
/// The release object is written as <c>DiscoveryResult</c> writes it: the stored JSON is what a
/// <see cref="System.Text.Json.Nodes.JsonObject"/> parsed from it writes with the default encoder, so one without any
/// escape is the same under the API's encoder and goes out as it is; one with an escape is copied token by token
/// through the API's encoder (<see cref="JsonCopy"/>), as the serializer writes the parsed object.
/// </remarks>
public sealed class OfferingItems : IDisposable
{
    // Each state as the contract's serializer writes it, once (a call into the serializer per item costs more than the item).
    private static readonly Dictionary<ReleaseState, byte[]> States =
        Enum.GetValues<ReleaseState>().ToDictionary(s => s, s => JsonSerializer.SerializeToUtf8Bytes(s, AgentJson.Context.ReleaseState));

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;
    private byte[] _scratch = [];

    public OfferingItems() =>
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = AgentJson.Context.Options.Encoder, SkipValidation = true });

    /// <summary>The offers of <paramref name="snapshot"/> (offered or pushed, not delivered yet), in its order.</summary>
    public static List<ReleaseRow> Of(ReleaseSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var offers = new List<ReleaseRow>();
        foreach (var row in snapshot)
        {
            if (!row.IsOnDevice)
            {
                offers.Add(row);
            }
        }

        return offers;
    }

    /// <summary>The JSON array of every offer's item, as the serializer writes the list: one array of exactly its size.</summary>
    public static byte[] ArrayOf(ReleaseSnapshot snapshot)
    {
        var offers = Of(snapshot);
        using var items = new OfferingItems();
        var json = new byte[items.ArrayLength(offers)];
        json[0] = (byte)'[';
        var at = 1;
        for (var i = 0; i < offers.Count; i++)
        {
            if (i > 0)
            {
                json[at++] = (byte)',';
            }

            var item = items.Render(offers[i]);
            item.CopyTo(json.AsSpan(at));
            at += item.Length;
        }

        json[at] = (byte)']';
        return json;
    }

    /// <summary>The length of the JSON array of <paramref name="offers"/>' items (each rendered, none kept).</summary>
    public long ArrayLength(IReadOnlyList<ReleaseRow> offers)
    {
        ArgumentNullException.ThrowIfNull(offers);
        long length = 2 + Math.Max(0, offers.Count - 1);
        foreach (var offer in offers)
        {
            length += Render(offer).Length;
        }

        return length;
    }

    /// <summary>
    /// The item of <paramref name="row"/> (an offered or pushed release): valid until the next call. The DTO's properties
    /// in its order, under the contract's names: <c>{"release":…,"isPush":…,"state":…,"dependencies":[…]}</c>.
    /// </summary>
    public ReadOnlySpan<byte> Render(ReleaseRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _buffer.ResetWrittenCount();
        _writer.Reset();
        _writer.WriteStartObject();
        _writer.WritePropertyName("release"u8);
        WriteRelease(row.ReleaseJson);
        _writer.WriteBoolean("isPush"u8, row.IsPush);
        _writer.WritePropertyName("state"u8);
        _writer.WriteRawValue(States[row.State], skipInputValidation: true);
        _writer.WriteStartArray("dependencies"u8);
        foreach (var dependency in row.Dependencies)
        {
            _writer.WriteStringValue(dependency);
        }

        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan;
    }

    public void Dispose() => _writer.Dispose();

    private void WriteRelease(ReadOnlySpan<byte> stored)
    {
        if (stored.Length > 0 && stored[0] == (byte)'{' && stored.IndexOf((byte)'\\') < 0 && Ascii.IsValid(stored))
        {
            // No escape and nothing but ASCII: nothing either encoder would write otherwise (the store's format escapes
            // all else; text stored some other way, with raw non-ASCII, is copied through the API's encoder below).
            _writer.WriteRawValue(stored, skipInputValidation: true);
            return;
        }

        if (stored.Length == 0 || stored[0] != (byte)'{')
        {
            // Not an object (never stored so, but the record reads it as an empty one): what the DTO would show.
            JsonSerializer.Serialize(_writer, JsonNode.Parse(stored) as JsonObject ?? [], AgentJson.Context.JsonObject);
            return;
        }

        var reader = new Utf8JsonReader(stored);
        reader.Read();
        JsonCopy.Value(ref reader, _writer, ref _scratch);
    }
}
