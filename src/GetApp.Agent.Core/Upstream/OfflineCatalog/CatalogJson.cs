using System.Text.Json;

namespace GetApp.Agent.Core.Upstream.OfflineCatalog;

/// <summary>
/// Reads <c>catalog.json</c>'s <c>releases</c> array one entry at a time from a small buffer, handing each entry to
/// the caller as soon as it is read: a catalog of thousands of releases is never held whole, as bytes or as objects,
/// only as what the caller keeps of each entry. Errors are <see cref="JsonException"/>s with the line and position in
/// the file, as the serializer reports them.
/// </summary>
internal static class CatalogJson
{
    /// <summary>
    /// Reads the entry at <paramref name="entry"/> (<paramref name="index"/> in the array), whose JSON lies whole in the
    /// reader's data, and returns what to keep of it.
    /// </summary>
    public delegate OfferedRelease EntryReader(int index, ref Utf8JsonReader entry);

    private const int InitialBuffer = 64 * 1024;

    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The entries as <paramref name="accept"/> returned them, or null when the root object has no (or a null) <c>releases</c>.</summary>
    public static async Task<List<OfferedRelease>?> ReadReleasesAsync(Stream stream, EntryReader accept, CancellationToken cancellationToken)
    {
        var buffer = new byte[InitialBuffer];
        var length = 0;
        var final = false;
        var parser = new Parser(accept);
        while (!parser.Done)
        {
            if (!final)
            {
                if (length == buffer.Length)
                {
                    // One entry larger than the buffer: room for all of it.
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                final = read == 0;
                length += read;
            }

            var consumed = parser.Step(buffer.AsSpan(0, length), final);
            buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
            length -= consumed;
        }

        return parser.Releases;
    }

    private sealed class Parser(EntryReader accept)
    {
        private enum Phase
        {
            Start,
            Root,
            Releases,
            End,
        }

        private Phase _phase;
        private JsonReaderState _state = new(Options);

        public List<OfferedRelease>? Releases { get; private set; }

        public bool Done { get; private set; }

        /// <summary>Reads every complete unit in <paramref name="data"/>; returns the bytes consumed (the rest waits for more data).</summary>
        public int Step(ReadOnlySpan<byte> data, bool final)
        {
            // `reader` only ever advances over whole units (a property, an entry), so it always stands where reading can resume.
            var reader = new Utf8JsonReader(data, final, _state);
            while (!Done && Advance(ref reader))
            {
            }

            _state = reader.CurrentState;
            return (int)reader.BytesConsumed;
        }

        private bool Advance(ref Utf8JsonReader reader)
        {
            var probe = reader;
            switch (_phase)
            {
                case Phase.Start:
                    if (!probe.Read())
                    {
                        return false;
                    }

                    if (probe.TokenType != JsonTokenType.StartObject)
                    {
                        throw new JsonException("the catalog is not a JSON object");
                    }

                    _phase = Phase.Root;
                    break;

                case Phase.Root:
                    if (!probe.Read())
                    {
                        return false;
                    }

                    if (probe.TokenType == JsonTokenType.EndObject)
                    {
                        _phase = Phase.End;
                        break;
                    }

                    var isReleases = probe.ValueTextEquals("releases");
                    if (!probe.Read())
                    {
                        return false;
                    }

                    if (!isReleases || probe.TokenType == JsonTokenType.Null)
                    {
                        if (!probe.TrySkip())
                        {
                            return false;
                        }

                        Releases = isReleases ? null : Releases;
                        break;
                    }

                    if (probe.TokenType != JsonTokenType.StartArray)
                    {
                        throw new JsonException("'releases' is not an array");
                    }

                    Releases = [];
                    _phase = Phase.Releases;
                    break;

                case Phase.Releases:
                    if (!probe.Read())
                    {
                        return false;
                    }

                    if (probe.TokenType == JsonTokenType.EndArray)
                    {
                        _phase = Phase.Root;
                        break;
                    }

                    var entry = probe;
                    if (!probe.TrySkip())
                    {
                        return false;
                    }

                    Releases!.Add(accept(Releases.Count, ref entry));
                    break;

                case Phase.End:
                    // Only white space and comments may follow the root object; the reader throws on anything else.
                    if (probe.Read())
                    {
                        throw new JsonException("there is more after the catalog's root object");
                    }

                    if (!probe.IsFinalBlock)
                    {
                        return false;
                    }

                    Done = true;
                    break;
            }

            reader = probe;
            return true;
        }
    }
}
