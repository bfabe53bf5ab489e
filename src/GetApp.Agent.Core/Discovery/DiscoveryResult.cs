using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Discovery;

/// <summary>
/// What one discovery found: the releases offered, in the upstream's order, and the V2 answer
/// (<c>POST /api/v2/triggers/discover-component</c>) written from their JSON as the store keeps it.
/// </summary>
/// <remarks>
/// The answer is written straight from each offer's stored JSON: byte for byte what serialising
/// <see cref="DiscoveryResponseDto"/> gives (<see cref="ToDto"/>), without parsing thousands of releases into trees for it.
/// The store's JSON is escaped with the default encoder and the API's with <see cref="AgentJson"/>'s, so a release whose
/// JSON holds an escape is copied token by token through the API's encoder; one without any is the same in both, and
/// goes out as it is.
/// </remarks>
public sealed class DiscoveryResult
{
    private const int FlushBytes = 64 * 1024;

    private readonly IReadOnlyList<OfferedRelease> _offered;
    private byte[] _scratch = [];

    // The writer's bytes handed to the output at the last flush (WriteJsonAsync runs once per answer).
    private long _flushed;

    internal DiscoveryResult(IReadOnlyList<OfferedRelease> offered) => _offered = offered;

    /// <summary>How many releases are offered or pushed.</summary>
    public int Count => _offered.Count;

    /// <summary>
    /// Writes the answer's JSON to <paramref name="output"/>: <c>{"offer":[…],"push":[…],"releases":[{"release":…,"isPush":…,"hierarchyTrees":…},…]}</c>,
    /// the DTO's properties in its order, flushing as it goes (the answer to 10,000 offers is MiBs).
    /// </summary>
    public async Task WriteJsonAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        _flushed = 0;
        await using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = AgentJson.Context.Options.Encoder, SkipValidation = true });
        writer.WriteStartObject();
        foreach (var (name, push) in new[] { ("offer", false), ("push", true) })
        {
            writer.WriteStartArray(name);
            foreach (var offer in _offered)
            {
                if (offer.IsPush == push)
                {
                    Write(writer, offer.StoredReleaseJson()!);
                    if (!await FlushedAsync(writer, output, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteStartArray("releases");
        foreach (var offer in _offered)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("release");
            Write(writer, offer.StoredReleaseJson()!);
            writer.WriteBoolean("isPush", offer.IsPush);
            writer.WritePropertyName("hierarchyTrees");
            Write(writer, offer.StoredHierarchyJson() ?? "[]"u8);
            writer.WriteEndObject();
            if (!await FlushedAsync(writer, output, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The answer as the contract's objects (each release parsed anew): what <see cref="WriteJsonAsync"/> writes the bytes of.</summary>
    public DiscoveryResponseDto ToDto() => new(
        Offer: [.. _offered.Where(r => !r.IsPush).Select(FreshRelease)],
        Push: [.. _offered.Where(r => r.IsPush).Select(FreshRelease)],
        Releases: [.. _offered.Select(r => new DiscoveredReleaseDto(FreshRelease(r), r.IsPush,
            r.StoredHierarchyJson() is { } trees ? (JsonArray)JsonNode.Parse(trees)! : []))]);

    private static JsonObject FreshRelease(OfferedRelease offer) => (JsonObject)JsonNode.Parse(offer.StoredReleaseJson()!)!;

    /// <summary>Hands what is written to the output once there is enough of it; false when the reader went away.</summary>
    /// <remarks>
    /// Counted from the writer's total, not its <see cref="Utf8JsonWriter.BytesPending"/> alone: writing into a pipe, the
    /// writer hands each full segment (4 KiB in Kestrel) to the pipe as it asks for the next, which sets BytesPending
    /// back to 0. Counting that never reached <see cref="FlushBytes"/>, and the whole answer (11 MB for 10,000 offers)
    /// was buffered in the pipe before anything went out; Kestrel's memory pool then kept every block of it.
    /// </remarks>
    private async ValueTask<bool> FlushedAsync(Utf8JsonWriter writer, PipeWriter output, CancellationToken cancellationToken)
    {
        if (writer.BytesCommitted + writer.BytesPending - _flushed < FlushBytes)
        {
            return true;
        }

        writer.Flush();
        _flushed = writer.BytesCommitted;
        var flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !flushed.IsCanceled && !flushed.IsCompleted;
    }

    private void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> stored)
    {
        if (stored.IndexOf((byte)'\\') < 0)
        {
            // No escape: nothing either encoder would write otherwise.
            writer.WriteRawValue(stored, skipInputValidation: true);
            return;
        }

        var reader = new Utf8JsonReader(stored);
        reader.Read();
        JsonCopy.Value(ref reader, writer, ref _scratch);
    }
}
