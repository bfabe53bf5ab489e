using System.Diagnostics;
using System.Globalization;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// Every rename of the agent (and of what it starts) waits <see cref="Delay"/> before it runs: the small library in
/// <c>Native/rename-delay.c</c>, built here with the C compiler Native AOT already needs and preloaded into the agent.
/// It widens the window in which a release's files are moved into artsDirPath without touching the agent.
/// </summary>
public sealed record RenameDelay(string Library, TimeSpan Delay)
{
    /// <summary>The environment that makes a process load it.</summary>
    public IEnumerable<KeyValuePair<string, string>> Environment()
    {
        yield return new("LD_PRELOAD", Library);
        yield return new("GETAPP_CHAOS_RENAME_DELAY_US", ((long)Delay.TotalMicroseconds).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Builds the library into <paramref name="folder"/>; null (with the reason) when there is no C compiler or it fails.</summary>
    public static RenameDelay? Build(string folder, TimeSpan delay, out string? reason)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Native", "rename-delay.c");
        var compiler = new[] { "cc", "clang", "gcc" }.FirstOrDefault(Tools.Has);
        if (compiler is null)
        {
            reason = "no C compiler (cc, clang or gcc) on PATH";
            return null;
        }

        var library = Path.Combine(Directory.CreateDirectory(folder).FullName, "librename-delay.so");
        var info = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"])
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)) || process.ExitCode != 0)
        {
            reason = $"{compiler} could not build {source}: {errors.Result.Trim()}";
            return null;
        }

        reason = null;
        return new RenameDelay(library, delay);
    }
}
