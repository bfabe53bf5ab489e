using System.Collections.Frozen;
using System.Security.Cryptography;

namespace GetApp.Agent.Dashboard;

/// <summary>
/// The dashboard's files, embedded in the executable (<c>Dashboard/www/</c>, logical names <c>dashboard/...</c>): read
/// once, each with its content type and a strong ETag (a hash of its bytes, so a new build of the agent changes it).
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";

    /// <summary>The page itself, served at <c>/</c>.</summary>
    public const string IndexName = "index.html";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, DashboardAsset> _assets;

    private DashboardAssets(FrozenDictionary<string, DashboardAsset> assets) => _assets = assets;

    public static DashboardAssets Embedded { get; } = Load();

    /// <summary>Every file, by its path under <c>www/</c> (<c>views/releases.js</c>).</summary>
    public IEnumerable<string> Names => _assets.Keys;

    public DashboardAsset? Find(string path) => _assets.GetValueOrDefault(path);

    /// <summary>The content type of a file name, or null for a kind the dashboard does not serve (the build must not embed one).</summary>
    public static string? ContentTypeOf(string name) => ContentTypes.GetValueOrDefault(Path.GetExtension(name));

    private static DashboardAssets Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            // MSBuild writes %(RecursiveDir) with the build machine's separator.
            var name = resource.Replace('\\', '/');
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var path = name[Prefix.Length..];
            var contentType = ContentTypeOf(path) ?? throw new InvalidOperationException($"the dashboard file {path} has no known content type");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12))}\"";
            assets[path] = new DashboardAsset(path, content, contentType, etag);
        }

        return new DashboardAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }
}

/// <summary>One file of the dashboard.</summary>
internal sealed record DashboardAsset(string Path, byte[] Content, string ContentType, string ETag);
