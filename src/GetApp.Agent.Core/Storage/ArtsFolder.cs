namespace GetApp.Agent.Core.Storage;

/// <summary>
/// A release's artifacts folder as a row holds it. Nearly every release keeps its artifacts in
/// <c>&lt;data dir&gt;/comps/&lt;catalog id&gt;</c>: such a row holds the folder they share (one string for all of them)
/// and makes its own path when asked, rather than 160 bytes of its own for a path that only repeats its id. Any other
/// path is held whole.
/// </summary>
internal readonly struct ArtsFolder
{
    // The last shared folder seen (rows come in bursts from one data dir); a race only costs a second copy of it.
    private static string? s_shared;

    private readonly string? _pathOrFolder;
    private readonly bool _endsWithId;

    private ArtsFolder(string? pathOrFolder, bool endsWithId)
    {
        _pathOrFolder = pathOrFolder;
        _endsWithId = endsWithId;
    }

    public string? PathOf(string catalogId) => _endsWithId ? string.Concat(_pathOrFolder, catalogId) : _pathOrFolder;

    public static ArtsFolder Of(string? path, string catalogId) =>
        path is null ? default : Of(path.AsSpan(), catalogId) ?? new ArtsFolder(path, false);

    /// <summary>From SQLite's UTF-8 (a path that is not the shared folder's becomes a string of its own).</summary>
    public static ArtsFolder Of(ReadOnlySpan<byte> utf8, string catalogId)
    {
        if (utf8.Length <= 512)
        {
            Span<char> chars = stackalloc char[utf8.Length];
            var written = System.Text.Encoding.UTF8.GetChars(utf8, chars);
            if (Of(chars[..written], catalogId) is { } shared)
            {
                return shared;
            }
        }

        return new ArtsFolder(System.Text.Encoding.UTF8.GetString(utf8), false);
    }

    private static ArtsFolder? Of(ReadOnlySpan<char> path, string catalogId)
    {
        if (path.Length <= catalogId.Length || !path.EndsWith(catalogId, StringComparison.Ordinal) || path[path.Length - catalogId.Length - 1] != '/')
        {
            return null;
        }

        var folder = path[..^catalogId.Length];
        var shared = s_shared;
        if (shared is null || !folder.SequenceEqual(shared))
        {
            s_shared = shared = folder.ToString();
        }

        return new ArtsFolder(shared, true);
    }
}
