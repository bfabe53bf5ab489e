using System.Globalization;
using System.Runtime.InteropServices;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// An installer runs as the leader of its own session and process group (started through <c>setsid</c>), so the whole
/// tree it spawns, including a background child that re-parents to init, can be killed with one <c>kill(-pgid)</c>.
/// </summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary><c>/usr/bin/setsid</c> when present (util-linux; it execs without forking, so the pid is the group id).</summary>
    public static string? SetsidPath { get; } = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>Sends SIGKILL to every process of the group led by <paramref name="pgid"/>; false when none is left.</summary>
    public static bool Kill(int pgid) => pgid > 1 && OperatingSystem.IsLinux() && kill(-pgid, SigKill) == 0;

    /// <summary>The start time of a process (clock ticks since boot, <c>/proc/pid/stat</c> field 22), to tell a pid from its reuse.</summary>
    public static long? StartTicksOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="pid"/> still runs and is the process that started at <paramref name="startTicks"/>.</summary>
    public static bool IsSameProcess(int pid, long startTicks) => StartTicksOf(pid) == startTicks;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
