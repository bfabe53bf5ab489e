using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// Everything the suite started, so nothing outlives it: the agents (and strace) by pid, and whatever they started
/// (installers left behind by a killed agent) by the <c>GETAPP_CHAOS_RUN</c> marker every agent gets in its environment
/// and hands down to its children. Only processes carrying this run's marker, or started by it, are ever killed.
/// </summary>
public static class ChildProcesses
{
    public const string MarkerVariable = "GETAPP_CHAOS_RUN";

    private static readonly ConcurrentDictionary<int, DateTime> Started = new();

    public static string RunId { get; } = Guid.NewGuid().ToString("N");

    public static void Track(int pid) => Started[pid] = DateTime.UtcNow;

    /// <summary>Pids of live processes whose environment holds this run's marker and <paramref name="alsoContaining"/>.</summary>
    public static IReadOnlyList<int> Marked(string? alsoContaining = null)
    {
        var marker = Encoding.UTF8.GetBytes($"{MarkerVariable}={RunId}");
        var extra = alsoContaining is null ? null : Encoding.UTF8.GetBytes(alsoContaining);
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (environ.AsSpan().IndexOf(marker) >= 0 && (extra is null || environ.AsSpan().IndexOf(extra) >= 0) && !IsZombie(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }

        return found;
    }

    /// <summary>Kills everything this run started that is still alive; returns how many there were.</summary>
    public static int KillAll()
    {
        var killed = 0;
        foreach (var pid in Started.Keys.Concat(Marked()).Distinct())
        {
            if (Directory.Exists($"/proc/{pid}") && !IsZombie(pid) && IsOurs(pid))
            {
                AgentUnderTest.Signal(pid, "KILL");
                killed++;
            }
        }

        return killed;
    }

    private static bool IsOurs(int pid)
    {
        try
        {
            var environ = File.ReadAllBytes($"/proc/{pid}/environ");
            return environ.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"{MarkerVariable}={RunId}")) >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
