using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>One artifact as the catalog declares it, and what its bytes really are (to check files on disk against).</summary>
public sealed record ChaosArtifact(string Name, string Url, long Size, string Sha256Hex)
{
    public bool IsExecutable { get; init; }
    public string? Arguments { get; init; }

    /// <summary>The origin file behind an http URL (null for a file inside the catalog folder).</summary>
    public OriginFile? Origin { get; init; }

    /// <summary>What the bytes really hash to, when the catalog lies (wrong hash); else <see cref="Sha256Hex"/>.</summary>
    public string? TrueSha256Hex { get; init; }
}

/// <summary>A release of a chaos catalog: its id, artifacts and dependencies, and whether it has an (un)installer.</summary>
public sealed class ChaosRelease(string id)
{
    public string Id { get; } = id;
    public List<ChaosArtifact> Artifacts { get; } = [];
    public List<string> DependsOn { get; } = [];
    public bool IsPush { get; init; }
    public bool HasInstaller => Artifacts.Any(a => a.IsExecutable);
    public bool HasUninstaller => Artifacts.Any(a => a.Name is "uninstall.sh");
    public long Size => Artifacts.Sum(a => a.Size);
}

/// <summary>
/// Writes an offline catalog: <c>catalog.json</c> with releases whose payloads are URLs of a <see cref="TestOrigin"/>
/// (downloaded like a server's artifacts, with faults) and whose installers are scripts inside the folder.
/// Entries are built with the integration tests' <see cref="TestCatalog"/> and <see cref="CatalogEntries"/>.
/// </summary>
public sealed class ChaosCatalog(string dir)
{
    private readonly Dictionary<string, ChaosRelease> _releases = new(StringComparer.Ordinal);

    public string Dir { get; } = dir;
    public IReadOnlyDictionary<string, ChaosRelease> Releases => _releases;

    public ChaosRelease Add(string id, bool isPush = false)
    {
        var release = new ChaosRelease(id) { IsPush = isPush };
        _releases[id] = release;
        return release;
    }

    /// <summary>An artifact served by <paramref name="file"/> (its URL unless another is given; a wrong hash on purpose when <paramref name="declaredSha256Hex"/> is set).</summary>
    public static ChaosArtifact Http(OriginFile file, string? url = null, string? declaredSha256Hex = null, long? declaredSize = null) =>
        new(file.Name, url ?? file.Url.ToString(), declaredSize ?? file.Size, declaredSha256Hex ?? file.Sha256Hex)
        {
            Origin = file,
            TrueSha256Hex = declaredSha256Hex is null ? null : file.Sha256Hex,
        };

    /// <summary>A file inside the catalog folder (<c>files/&lt;release&gt;/&lt;name&gt;</c>).</summary>
    public ChaosArtifact Local(ChaosRelease release, string name, byte[] content, bool executable = false, string? arguments = null)
    {
        var folder = Path.Combine(Dir, "files", Storage(release.Id));
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), content);
        return new ChaosArtifact(name, $"files/{Storage(release.Id)}/{name}", content.Length, Convert.ToHexStringLower(SHA256.HashData(content)))
        {
            IsExecutable = executable,
            Arguments = arguments,
        };
    }

    /// <summary>A shell script inside the catalog folder.</summary>
    public ChaosArtifact Script(ChaosRelease release, string name, string body, bool executable) =>
        Local(release, name, Encoding.UTF8.GetBytes("#!/bin/sh\n" + body.ReplaceLineEndings("\n")), executable);

    public void Write()
    {
        Directory.CreateDirectory(Dir);
        var dependedOnBy = _releases.Values.SelectMany(r => r.DependsOn.Select(d => (Dependency: d, By: r.Id)))
            .GroupBy(x => x.Dependency, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.By).ToArray(), StringComparer.Ordinal);
        var entries = new JsonArray();
        foreach (var release in _releases.Values)
        {
            var entry = CatalogEntries.Http(release.Id, release.Artifacts.Select(a => (a.Name, a.Url, a.Size, a.Sha256Hex)),
                release.IsPush, dependedOnBy.GetValueOrDefault(release.Id, []));
            var artifacts = entry["artifacts"]!.AsArray();
            for (var i = 0; i < release.Artifacts.Count; i++)
            {
                if (release.Artifacts[i].IsExecutable)
                {
                    artifacts[i]!["isExecutable"] = true;
                    artifacts[i]!["arguments"] = release.Artifacts[i].Arguments;
                }
            }

            entries.Add(entry);
        }

        var json = new JsonObject { ["releases"] = entries }.ToJsonString();
        var temp = Path.Combine(Dir, "catalog.json.tmp");
        File.WriteAllText(temp, json);
        File.Move(temp, Path.Combine(Dir, "catalog.json"), overwrite: true);
    }

    /// <summary>The folder name of a release's files inside the catalog (ids hold '@').</summary>
    private static string Storage(string id) => id.Replace('@', '_').Replace('/', '_');
}
