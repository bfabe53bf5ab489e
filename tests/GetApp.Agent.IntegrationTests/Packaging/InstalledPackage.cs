using System.Diagnostics;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>
/// The getapp-agent package on this machine, for one test: installed, upgraded, removed and purged with apt-get as an
/// operator does, and its service started the way its systemd unit says. Dispose leaves the machine as it was: agents
/// stopped, the package purged, its data dir gone, and the <c>getapp</c> user removed if the test created it.
/// </summary>
internal sealed class InstalledPackage : IAsyncDisposable
{
    public const string Executable = "/usr/bin/getapp-agent";
    public const string Unit = "/lib/systemd/system/getapp-agent.service";
    public const string Settings = "/etc/getapp/agent.env";
    public const string DataDir = "/var/lib/getapp-agent";
    public const string EnablementLink = "/etc/systemd/system/multi-user.target.wants/getapp-agent.service";
    public const string UnitOverride = "/etc/systemd/system/getapp-agent.service";

    private static readonly Dictionary<string, string?> AptEnvironment = new() { ["DEBIAN_FRONTEND"] = "noninteractive" };

    private readonly bool _userExisted;
    private readonly List<AgentProcess> _agents = [];
    private readonly TempDirectory _work = new("getapp-deb");

    private InstalledPackage(bool userExisted)
    {
        _userExisted = userExisted;
    }

    /// <summary>A folder of the test's, deleted on dispose.</summary>
    public TempDirectory Work => _work;

    /// <summary>
    /// Why the tests may not install the package here; null when they may. They need root, no running systemd (which
    /// would start the service for real), and must find nothing of the user's that installing, purging or cleaning up
    /// would change.
    /// </summary>
    public static string? WhyNotHere()
    {
        if (Environment.UserName != "root")
        {
            return "installing the package needs root (run the tests as root, as CI does)";
        }

        if (!HostCommand.IsOnPath("apt-get") || !HostCommand.IsOnPath("dpkg-query"))
        {
            return "installing the package needs apt-get and dpkg (a Debian-based system)";
        }

        if (Directory.Exists("/run/systemd/system"))
        {
            return "systemd runs here, so installing the package would start the agent as a service of this machine; " +
                   "the install tests run where systemd is not PID 1, as in CI";
        }

        var taken = new[] { DataDir, Settings, UnitOverride, Executable }.Where(p => Path.Exists(p)).ToList();
        if (DpkgKnowsThePackage() || taken.Count > 0)
        {
            return "getapp-agent is already set up on this machine (by you, or by an interrupted test run: " +
                   $"`apt-get purge getapp-agent` and remove {string.Join(", ", taken.DefaultIfEmpty(DataDir))}); the tests would overwrite it";
        }

        return null;
    }

    public static async Task<InstalledPackage> InstallAsync(string deb)
    {
        var package = new InstalledPackage(userExisted: (await HostCommand.RunAsync("getent", ["passwd", "getapp"])).ExitCode == 0);
        try
        {
            await package.InstallOrUpgradeAsync(deb);
            return package;
        }
        catch
        {
            await package.DisposeAsync();
            throw;
        }
    }

    /// <summary>`apt-get install ./getapp-agent_…deb`: a first install, an upgrade, or a reinstall after a removal.</summary>
    public async Task InstallOrUpgradeAsync(string deb)
    {
        await AptGetAsync("install", "--no-install-recommends", deb);
    }

    public Task RemoveAsync() => AptGetAsync("remove", "getapp-agent");

    public Task PurgeAsync() => AptGetAsync("purge", "getapp-agent");

    /// <summary>dpkg's abbreviated status and version, e.g. <c>ii 0.1.0</c> or <c>rc 0.1.0</c>; null when dpkg does not know it.</summary>
    public static async Task<string?> StatusAsync()
    {
        var result = await HostCommand.RunAsync("dpkg-query", ["-W", "-f=${db:Status-Abbrev} ${Version}", "getapp-agent"]);
        return result.ExitCode == 0 ? string.Join(' ', result.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries)) : null;
    }

    public static async Task<string> ConffilesAsync() =>
        await HostCommand.MustRunAsync("dpkg-query", ["-W", "-f=${Conffiles}", "getapp-agent"]);

    /// <summary><c>user:group mode</c> of a path, e.g. <c>getapp:getapp 750</c>.</summary>
    public static async Task<string> OwnerAndModeAsync(string path) =>
        (await HostCommand.MustRunAsync("stat", ["-c", "%U:%G %a", path])).Trim();

    /// <summary>A copy of the sample catalog that any user can read (the unprivileged service reads it too).</summary>
    public string SampleCatalogCopy()
    {
        var copy = _work.Combine("catalog");
        foreach (var file in Directory.EnumerateFiles(RepoPaths.SampleCatalog, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(RepoPaths.SampleCatalog, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (var dir in Directory.EnumerateDirectories(_work.Path, "*", SearchOption.AllDirectories).Append(_work.Path))
        {
            if (OperatingSystem.IsWindows())
            {
                break;
            }

            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        return copy;
    }

    /// <summary>
    /// Starts the service as its installed unit says: the unit's ExecStart, the unit's EnvironmentFile and no other
    /// environment, from /, as root (the unit's default) or as <c>getapp</c> (the unprivileged drop-in); plus
    /// <c>--urls</c> on a free loopback port, so that nothing of the machine's is disturbed.
    /// </summary>
    public async Task<AgentProcess> StartServiceAsync(bool asGetappUser = false)
    {
        var (command, environmentFile) = ReadUnit(await File.ReadAllLinesAsync(Unit));
        string[] argv = asGetappUser
            ? ["setpriv", "--reuid=getapp", "--regid=getapp", "--init-groups", "--", .. command]
            : command;
        var info = new ProcessStartInfo(argv[0]) { WorkingDirectory = "/" };
        foreach (var argument in argv[1..].Concat(["--urls", "http://127.0.0.1:0"]))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        if (asGetappUser)
        {
            info.Environment["HOME"] = DataDir;
            info.Environment["USER"] = info.Environment["LOGNAME"] = "getapp";
        }

        if (environmentFile is not null && File.Exists(environmentFile))
        {
            foreach (var (key, value) in ReadEnvironmentFile(await File.ReadAllLinesAsync(environmentFile)))
            {
                info.Environment[key] = value;
            }
        }

        var agent = await AgentProcess.StartAsync(info, TimeSpan.FromSeconds(90));
        _agents.Add(agent);
        return agent;
    }

    public async ValueTask DisposeAsync()
    {
        // Every step runs whatever the one before it did, so that a failure leaves as little behind as possible.
        var problems = new List<string>();
        async Task StepAsync(Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception e)
            {
                problems.Add(e.Message);
            }
        }

        foreach (var agent in _agents)
        {
            await StepAsync(async () => await agent.DisposeAsync());
        }

        await StepAsync(async () =>
        {
            if (DpkgKnowsThePackage())
            {
                await PurgeAsync();
            }
        });
        await StepAsync(() =>
        {
            if (Directory.Exists(DataDir))
            {
                Directory.Delete(DataDir, recursive: true);
            }

            return Task.CompletedTask;
        });
        if (!_userExisted)
        {
            await StepAsync(async () =>
            {
                if ((await HostCommand.RunAsync("getent", ["passwd", "getapp"])).ExitCode == 0)
                {
                    await HostCommand.MustRunAsync("userdel", ["getapp"]);
                }

                if ((await HostCommand.RunAsync("getent", ["group", "getapp"])).ExitCode == 0)
                {
                    await HostCommand.MustRunAsync("groupdel", ["getapp"]);
                }
            });
        }

        _work.Dispose();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("cleaning up after the package test failed:\n" + string.Join('\n', problems));
        }
    }

    /// <summary>Whether dpkg has the package in any state but "not installed" (installed, config-files, half-done).</summary>
    private static bool DpkgKnowsThePackage()
    {
        var info = new ProcessStartInfo("dpkg-query", ["-W", "-f=${db:Status-Abbrev}", "getapp-agent"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var status = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 && !status.StartsWith("un", StringComparison.Ordinal);
    }

    private static Task<string> AptGetAsync(string verb, params string[] arguments) =>
        HostCommand.MustRunAsync(
            "apt-get",
            [verb, "-y", "-q", "-o", "DPkg::Lock::Timeout=600", .. arguments],
            TimeSpan.FromMinutes(12),
            AptEnvironment);

    private static (string[] Command, string? EnvironmentFile) ReadUnit(string[] lines)
    {
        string[]? command = null;
        string? environmentFile = null;
        foreach (var line in lines.Select(l => l.Trim()))
        {
            if (line.StartsWith("ExecStart=", StringComparison.Ordinal))
            {
                command = line["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            else if (line.StartsWith("EnvironmentFile=", StringComparison.Ordinal))
            {
                environmentFile = line["EnvironmentFile=".Length..].TrimStart('-');
            }
        }

        return (command ?? throw new InvalidDataException($"{Unit} has no ExecStart="), environmentFile);
    }

    /// <summary>systemd's EnvironmentFile= format, as far as agent.env uses it: NAME=value lines, # comments.</summary>
    private static IEnumerable<(string Key, string Value)> ReadEnvironmentFile(string[] lines)
    {
        foreach (var line in lines.Select(l => l.Trim()))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length > 0 && line[0] is not ('#' or ';') && equals > 0)
            {
                yield return (line[..equals].Trim(), line[(equals + 1)..].Trim());
            }
        }
    }
}
