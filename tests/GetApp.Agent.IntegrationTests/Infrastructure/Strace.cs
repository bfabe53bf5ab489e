using System.Diagnostics;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// strace as a precise fault injector: it can deliver SIGKILL to the agent at the very system call that touches a given
/// path (<c>-P</c>), so a kill lands between two steps that are microseconds apart, every time.
/// </summary>
public static class Strace
{
    public static bool IsInstalled { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "strace")));

    /// <summary>
    /// The agent (<c>dotnet getapp-agent.dll run ...</c>) under strace, killed with SIGKILL on entering the first rename
    /// of <paramref name="sourcePath"/> (an absolute path), before that rename happens. (strace's <c>-P</c> matches the
    /// first path argument of <c>rename</c>, not the target.)
    /// </summary>
    public static ProcessStartInfo KillAgentOnRename(string sourcePath, string dataDir, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("strace");
        foreach (var argument in (string[])["-f", "-qq", "-o", "/dev/null", "-P", sourcePath,
            "-e", "trace=rename,renameat,renameat2", "-e", "inject=rename,renameat,renameat2:signal=KILL:when=1",
            "--", "dotnet", "exec", Path.Combine(AppContext.BaseDirectory, "getapp-agent.dll"),
            "run", "--urls", "http://127.0.0.1:0", "--data-dir", dataDir, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }
}

/// <summary>A test that needs strace: skipped, saying so, where it is not installed (never in CI, which installs it).</summary>
public sealed class NeedsStraceFactAttribute : FactAttribute
{
    public NeedsStraceFactAttribute()
    {
        var inCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!Strace.IsInstalled && !inCi)
        {
            Skip = "strace is not installed (apt-get install strace): it places the kill between two renames";
        }
    }
}
