using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// The one rule for where an artifact lives inside its release's folder, shared by delivery (which writes it) and deploy
/// (which runs it). Names come from the upstream and are untrusted: the last segment of the URL path, else of the item
/// key, made file-safe; two artifacts that would collide (case-insensitively) get distinct names. The result is a single path segment, so
/// it can never point outside <c>artsDirPath</c>.
/// </summary>
public static class ArtifactFiles
{
    /// <summary>The file name of each artifact, by item key, in the order given.</summary>
    public static IReadOnlyDictionary<string, string> Plan(IReadOnlyList<ArtifactSpec> artifacts)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var artifact in artifacts)
        {
            // Unique by construction: a name is used only once the set of names taken so far accepted it. A collision
            // gets "<n>-" in front (n from the count so far, as names delivered before this rule were made), counting on
            // until free: "files/a", "files/2-a", "files/sub/a" are "a", "2-a", "3-a".
            var candidate = FileSafeName.From(Candidate(artifact));
            var name = candidate;
            for (var n = taken.Count; !taken.Add(name); n++)
            {
                name = FileSafeName.From($"{n}-{candidate}");
            }

            names[artifact.ItemKey] = name;
        }

        return names;
    }

    /// <summary>The full path of an artifact in <paramref name="artsDir"/>; always directly inside it.</summary>
    public static string PathOf(string artsDir, IReadOnlyList<ArtifactSpec> artifacts, string itemKey) =>
        Path.Combine(artsDir, Plan(artifacts)[itemKey]);

    private static string Candidate(ArtifactSpec artifact)
    {
        var fromUrl = Uri.TryCreate(artifact.Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? Uri.UnescapeDataString(uri.AbsolutePath)
            : artifact.Url.Split('?', '#')[0];
        var last = LastSegment(fromUrl);
        return last is { Length: > 0 } and not "." and not ".." ? last : LastSegment(artifact.ItemKey.Split('@')[^1]) ?? artifact.ItemKey;
    }

    private static string? LastSegment(string path) =>
        path.Split('/', '\\').LastOrDefault(s => s.Length > 0);
}
