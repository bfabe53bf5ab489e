using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// An installer runs as the leader of its own session and process group (started through <c>setsid</c>), so the whole
/// tree it spawns, including a background child that re-parents to init, can be killed with one <c>kill(-pgid)</c>.
/// </summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;
    private const int MaxSweeps = 50;
    private static readonly TimeSpan SweepPause = TimeSpan.FromMilliseconds(2);

    /// <summary><c>/usr/bin/setsid</c> when present (util-linux; it execs without forking, so the pid is the group id).</summary>
    public static string? SetsidPath { get; } = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>Sends SIGKILL to every process of the group led by <paramref name="pgid"/>; false when none is left.</summary>
    public static bool Kill(int pgid) => pgid > 1 && OperatingSystem.IsLinux() && kill(-pgid, SigKill) == 0;

    /// <summary>Sends SIGKILL to one process (a leftover found by <see cref="FindByEnvironment"/>).</summary>
    public static bool KillProcess(int pid) => pid > 1 && OperatingSystem.IsLinux() && kill(pid, SigKill) == 0;

    /// <summary>
    /// Kills every process whose environment holds <c>name=value</c>, sweeping again until a sweep finds none: a leftover
    /// that forks while the first sweep reads /proc (an installer's loop starting its next command) would otherwise leave
    /// a child behind, born after the sweep passed its pid and before its parent was killed. Returns the pids killed.
    /// </summary>
    public static IReadOnlyList<int> KillAllByEnvironment(string name, string value)
    {
        var killed = new List<int>();
        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var found = FindByEnvironment(name, value);
            if (found.Count == 0)
            {
                break;
            }

            foreach (var pid in found)
            {
                KillProcess(pid);
                if (!killed.Contains(pid))
                {
                    killed.Add(pid);
                }
            }

            // A process killed a moment ago may still be exiting (its environ still readable): let it go before looking again.
            Thread.Sleep(SweepPause);
        }

        return killed;
    }

    /// <summary>
    /// The processes whose environment holds <c>name=value</c>. An install's run marker is inherited by everything the
    /// installer starts, even what left its process group, so after a crash of the agent every leftover can be found.
    /// </summary>
    public static IReadOnlyList<int> FindByEnvironment(string name, string value)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }

        var entry = Encoding.UTF8.GetBytes($"\0{name}={value}\0");
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                // Entries are NUL-terminated; a leading NUL lets the first entry match like the others.
                byte[] environment = [0, .. File.ReadAllBytes(Path.Combine(dir, "environ")), 0];
                if (environment.AsSpan().IndexOf(entry) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
