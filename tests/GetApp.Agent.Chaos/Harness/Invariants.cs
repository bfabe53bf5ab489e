using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// The checks that must hold after every restart, and at the end of every scenario (docs/reliability.md, "Invariants"):
/// the database is intact, <c>comps/</c> holds only whole files that some artifact of the catalog really is, every
/// delivered release has every artifact in its <c>artsDirPath</c> with its hash, nothing delivered before is lost,
/// every release settles, no installer keeps running unobserved, no two runs of one installer overlap.
/// </summary>
public sealed class Invariants(string scenario, Figures figures, IReadOnlyDictionary<string, ChaosRelease> models, string? marksDir = null)
{
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(180);

    // comps files never change once moved there; hashing each once keeps a long run's checks cheap.
    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> _hashes = new();

    /// <summary>Runs every check; returns the settled statuses (null when the agent could not be read at all).</summary>
    public async Task<IReadOnlyList<ReleaseStatus>?> CheckAsync(AgentUnderTest agent, string when, IReadOnlyList<ReleaseStatus>? before = null, ISet<string>? actedOn = null)
    {
        CheckDatabase(agent.DataDir, when);
        IReadOnlyList<ReleaseStatus> all;
        try
        {
            var (statuses, unsettled) = await ReleaseStates.WaitSettledAsync(agent, models, SettleBound);
            foreach (var (status, why) in unsettled)
            {
                figures.Violation(scenario, $"{when}: {status} did not settle within {SettleBound.TotalSeconds:0} s ({why})");
            }

            all = statuses;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            figures.Violation(scenario, $"{when}: the status API could not be read: {e.Message}");
            return null;
        }

        CheckComps(agent.DataDir, all, when);
        CheckDelivered(all, when);
        if (before is not null)
        {
            CheckNothingLost(before, all, actedOn ?? new HashSet<string>(), when);
        }

        CheckNoInstallerLeft(when);
        CheckNoOverlap(when);
        return all;
    }

    /// <summary><c>PRAGMA integrity_check</c> through a read-only connection (the agent may be running; WAL allows a reader).</summary>
    public void CheckDatabase(string dataDir, string when)
    {
        var path = Path.Combine(dataDir, "agent.db");
        if (!File.Exists(path))
        {
            figures.Violation(scenario, $"{when}: {path} is missing");
            return;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using (var timeout = connection.CreateCommand())
            {
                timeout.CommandText = "PRAGMA busy_timeout = 10000;";
                timeout.ExecuteNonQuery();
            }

            // integrity_check answers one row "ok", or one row per problem found.
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check;";
            using var reader = command.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add(reader.GetString(0));
            }

            if (rows is not ["ok"])
            {
                figures.CorruptOne(scenario, $"{when}: PRAGMA integrity_check said {(rows.Count == 0 ? "nothing" : string.Join("; ", rows.Take(5)))}");
            }
        }
        catch (SqliteException e)
        {
            figures.CorruptOne(scenario, $"{when}: the database cannot be checked: {e.Message}");
        }
    }

    /// <summary>Every file under comps/ is whole: it is byte for byte one artifact of the catalog (of its own release when known).</summary>
    private void CheckComps(string dataDir, IReadOnlyList<ReleaseStatus> all, string when)
    {
        var comps = Path.Combine(dataDir, "comps");
        if (!Directory.Exists(comps))
        {
            return;
        }

        var byFolder = all.Where(s => s.ArtsDirPath is { Length: > 0 }).GroupBy(s => Path.GetFullPath(s.ArtsDirPath!), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        var anyArtifact = models.Values.SelectMany(r => r.Artifacts).Where(a => a.TrueSha256Hex is null).Select(a => (a.Size, Hash: a.Sha256Hex)).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(comps, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is not null)
            {
                figures.CorruptOne(scenario, $"{when}: {file} is a symbolic link (to {info.LinkTarget})");
                continue;
            }

            var hash = HashOf(info);
            var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
            if (byFolder.TryGetValue(folder, out var id) && models.TryGetValue(id, out var model))
            {
                if (!model.Artifacts.Any(a => a.TrueSha256Hex is null && a.Size == info.Length && a.Sha256Hex == hash))
                {
                    figures.CorruptOne(scenario, $"{when}: {file} ({info.Length} bytes, sha256 {hash[..12]}…) is not an artifact of {id}");
                }
            }
            else if (!anyArtifact.Contains((info.Length, hash)))
            {
                figures.CorruptOne(scenario, $"{when}: {file} ({info.Length} bytes, sha256 {hash[..12]}…) is no artifact of the catalog (a partial file?)");
            }
        }
    }

    /// <summary>A release with its files on the device has every artifact in artsDirPath, with the declared hash.</summary>
    private void CheckDelivered(IReadOnlyList<ReleaseStatus> all, string when)
    {
        foreach (var status in all.Where(s => s.IsDelivered))
        {
            if (!models.TryGetValue(status.Id, out var model) || model.Artifacts.Count == 0)
            {
                continue;
            }

            if (status.ArtsDirPath is not { Length: > 0 } dir || !Directory.Exists(dir))
            {
                figures.LostOne(scenario, $"{when}: {status} has no artsDirPath on disk ({status.ArtsDirPath ?? "null"})");
                continue;
            }

            var present = Directory.EnumerateFiles(dir).Select(f => new FileInfo(f)).Select(f => (f.Length, HashOf(f))).ToHashSet();
            foreach (var artifact in model.Artifacts)
            {
                if (!present.Contains((artifact.Size, artifact.Sha256Hex)))
                {
                    figures.LostOne(scenario, $"{when}: {status.Id} is {status.State} but artifact {artifact.Name} ({artifact.Size} bytes) is not in {dir} with its hash");
                }
            }
        }
    }

    /// <summary>What was delivered (or installed) before a kill still is after it, unless the harness itself was acting on it.</summary>
    private void CheckNothingLost(IReadOnlyList<ReleaseStatus> before, IReadOnlyList<ReleaseStatus> after, ISet<string> actedOn, string when)
    {
        var now = after.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var old in before.Where(s => s.IsDelivered))
        {
            if (!now.TryGetValue(old.Id, out var current) || !current.IsDelivered)
            {
                if (!actedOn.Contains(old.Id))
                {
                    figures.LostOne(scenario, $"{when}: {old} was delivered before, now {current?.ToString() ?? "unknown"}");
                }
            }
            else if (old.State == "installed" && current.State != "installed" && !actedOn.Contains(old.Id))
            {
                figures.LostOne(scenario, $"{when}: {old} was installed before, now {current}");
            }
        }
    }

    /// <summary>Once everything settled, no installer or uninstaller of this run may still be running.</summary>
    public void CheckNoInstallerLeft(string when)
    {
        foreach (var pid in ChildProcesses.Marked("GETAPP_DEPLOY_RUN="))
        {
            var command = TryRead($"/proc/{pid}/cmdline")?.Replace('\0', ' ').Trim();
            figures.Violation(scenario, $"{when}: an installer process is still running after everything settled (pid {pid}: {command})");
            AgentUnderTest.Signal(pid, "KILL");
        }
    }

    /// <summary>The scripts note a second run of one (un)installer while a first is still alive in marks/overlaps.</summary>
    private void CheckNoOverlap(string when)
    {
        if (marksDir is null)
        {
            return;
        }

        var overlaps = Path.Combine(marksDir, "overlaps");
        if (File.Exists(overlaps) && new FileInfo(overlaps).Length > 0)
        {
            foreach (var line in File.ReadAllLines(overlaps))
            {
                figures.Violation(scenario, $"{when}: two runs at once: {line}");
            }

            File.WriteAllText(overlaps, "");
        }
    }

    private string HashOf(FileInfo file) =>
        _hashes.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc), _ =>
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1024 * 1024);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
