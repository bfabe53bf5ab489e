using System.Diagnostics;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Chaos;

/// <summary>
/// The Native AOT executable the chaos suite drives. CI publishes it first (eng/aot-smoke.sh, into
/// artifacts/publish/linux-x64); elsewhere, when it is missing or older than the sources, the test publishes it the same
/// way into artifacts/chaos/publish (minutes), when this machine can (clang, Debian's static SQLite), and is skipped,
/// saying what to install, when it cannot.
/// </summary>
internal static class PublishedAgent
{
    private static readonly SemaphoreSlim PublishLock = new(1, 1);

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string SmokePublish => Path.Combine(RepoPaths.Root, "artifacts", "publish", "linux-x64", "getapp-agent");

    private static string OwnPublish => Path.Combine(RepoPaths.Root, "artifacts", "chaos", "publish", "getapp-agent");

    /// <summary>Why it can be neither found nor published here; null when it can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the chaos suite drives the Linux executable";
        }

        if (InCi || Fresh(SmokePublish) || Fresh(OwnPublish))
        {
            return null;
        }

        var missing = new List<string>();
        if (!IsOnPath("clang"))
        {
            missing.Add("clang");
        }

        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libsqlite3.a") && !File.Exists("/usr/lib/aarch64-linux-gnu/libsqlite3.a"))
        {
            missing.Add("libsqlite3-dev");
        }

        return missing.Count == 0
            ? null
            : $"no up-to-date published agent (eng/aot-smoke.sh makes one) and this machine cannot publish it (missing: {string.Join(", ", missing)})";
    }

    /// <summary>The executable, published first when there is none as new as the sources.</summary>
    public static async Task<string> GetAsync()
    {
        if (Fresh(SmokePublish))
        {
            return SmokePublish;
        }

        await PublishLock.WaitAsync();
        try
        {
            if (!Fresh(OwnPublish))
            {
                var rid = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "linux-arm64" : "linux-x64";
                await PublishAsync(rid, Path.GetDirectoryName(OwnPublish)!);
            }
        }
        finally
        {
            PublishLock.Release();
        }

        return OwnPublish;
    }

    /// <summary>
    /// Starts the executable (<see cref="GetAsync"/>) with <c>run</c> on <paramref name="dataDir"/>, an ephemeral loopback
    /// port and <paramref name="more"/>; also says where the executable's file is (as <c>/proc/PID/maps</c> names it).
    /// </summary>
    public static async Task<(AgentProcess Agent, string File)> StartAsync(string dataDir, params string[] more)
    {
        var executable = await GetAsync();
        var info = new ProcessStartInfo(executable);
        foreach (var argument in (string[])["run", "--urls", "http://127.0.0.1:0", "--data-dir", dataDir, .. more])
        {
            info.ArgumentList.Add(argument);
        }

        var agent = await AgentProcess.StartAsync(info, TimeSpan.FromSeconds(60));
        return (agent, new FileInfo(executable).ResolveLinkTarget(true)?.FullName ?? Path.GetFullPath(executable));
    }

    /// <summary>Present, and at least as new as every source file of the agent (so the suite never checks old code).</summary>
    private static bool Fresh(string executable)
    {
        if (!File.Exists(executable))
        {
            return false;
        }

        var built = File.GetLastWriteTimeUtc(executable);
        var sources = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Concat([Path.Combine(RepoPaths.Root, "Directory.Build.props"), Path.Combine(RepoPaths.Root, "Directory.Packages.props")]);
        return sources.All(f => File.GetLastWriteTimeUtc(f) <= built);
    }

    private static async Task PublishAsync(string rid, string output)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["publish", Path.Combine(RepoPaths.Root, "src", "GetApp.Agent"), "-c", "Release", "-r", rid, "-o", output,
            "-p:DebugType=none", "-p:DebugSymbols=false"])
        {
            info.ArgumentList.Add(argument);
        }

        // The test host's MSBuild variables would steer the nested publish wrongly.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)))
        {
            info.Environment.Remove(key);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish -r {rid} failed:\n{await stdout}{await stderr}");
        }
    }

    private static bool IsOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, name)));
}
