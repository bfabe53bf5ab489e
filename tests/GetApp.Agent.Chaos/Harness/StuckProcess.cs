using System.Diagnostics;
using System.Text;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// What a process that should have listened is doing, read before it is killed: a start that hangs is rare and leaves
/// nothing behind once killed, so the evidence is taken while it is still there. Each thread's state, kernel wait and
/// system call come from /proc; when gdb is installed and nothing else traces the process, every thread's native stack
/// too (the AOT executable's symbols are in its .dbg file next to it).
/// </summary>
internal static class StuckProcess
{
    public static string Describe(int pid) => DescribeNow(pid);

    private static string DescribeNow(int pid)
    {
        var text = new StringBuilder();
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            text.AppendLine($"process {pid}: {Field(status, "State")}, tracer pid {Field(status, "TracerPid")}, {Field(status, "Threads")} thread(s), RSS {Field(status, "VmRSS")}");
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task").Order(StringComparer.Ordinal))
            {
                var stat = Read(Path.Combine(task, "stat"));
                var state = stat.Length > stat.LastIndexOf(')') + 2 ? stat[stat.LastIndexOf(')') + 2] : '?';
                text.AppendLine($"  thread {Path.GetFileName(task)} '{Read(Path.Combine(task, "comm")).Trim()}' state {state} wchan {Read(Path.Combine(task, "wchan")).Trim()} syscall {Read(Path.Combine(task, "syscall")).Split(' ')[0].Trim()}");
                foreach (var frame in Read(Path.Combine(task, "stack")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(4))
                {
                    text.AppendLine($"      {frame}");
                }
            }

            if (Field(status, "TracerPid") == "0" && Tools.Has("gdb"))
            {
                text.AppendLine(NativeStacks(pid));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text.AppendLine($"process {pid} could not be read: {e.Message}");
        }

        return text.ToString();
    }

    private static string NativeStacks(int pid)
    {
        var info = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-batch", "-nx", "-ex", "thread apply all bt 25"])
        {
            info.ArgumentList.Add(a);
        }

        using var gdb = Process.Start(info);
        if (gdb is null)
        {
            return "gdb did not start";
        }

        var output = gdb.StandardOutput.ReadToEndAsync();
        if (!gdb.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            gdb.Kill();
            return "gdb did not finish within 60 s";
        }

        return output.Result;
    }

    private static string Field(string[] status, string name) =>
        status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim() ?? "?";

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
