using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Deploy;

/// <summary>What to run: the file, its argv words, where, for how long, and where its output goes.</summary>
public sealed record InstallerLaunch(
    string CatalogId,
    string ExecutablePath,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    TimeSpan Timeout,
    string LogPath,
    IReadOnlyDictionary<string, string> Environment);

public enum InstallerEnd
{
    Exited,
    TimedOut,
    Cancelled,
    FailedToStart,
}

/// <summary>How an installer run ended: its exit code, or why there is none, and the tail of its output.</summary>
public sealed record InstallerOutcome(InstallerEnd End, int? ExitCode, int? Pid, string OutputTail, string? StartError, TimeSpan Duration)
{
    public bool Succeeded => End == InstallerEnd.Exited && ExitCode == 0;
}

/// <summary>
/// Runs one installer (dotnet-monitor style): <c>execve</c> with an argv list, never a shell; in its own session and
/// process group so that a timeout or a cancel kills the whole tree; stdout and stderr read as bytes into a bounded log.
/// When the installer exits, whatever it left running in its group is killed too: an installer that starts a service
/// must hand it to the service manager (systemd), which is outside the group.
/// </summary>
public sealed partial class InstallerRunner(TimeProvider timeProvider, ILogger<InstallerRunner> logger)
{
    /// <summary>
    /// Set to a fresh id for every run and inherited by everything the installer starts: a process that escaped the
    /// process group (its own <c>setsid</c>, a double fork) is still found and killed, also after an agent crash.
    /// </summary>
    public const string RunVariable = "GETAPP_DEPLOY_RUN";

    private const int ErrTailChars = 1500;
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(5);

    public async Task<InstallerOutcome> RunAsync(InstallerLaunch launch, Func<int, Task>? onStarted, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        if (CheckExecutable(launch.ExecutablePath, setExecuteBit: IsInside(launch.ExecutablePath, launch.WorkingDirectory)) is { } problem)
        {
            return new InstallerOutcome(InstallerEnd.FailedToStart, null, null, "", problem, TimeSpan.Zero);
        }

        var header = string.Create(CultureInfo.InvariantCulture,
            $"# {launch.CatalogId}: {launch.ExecutablePath} {string.Join(' ', launch.Arguments.Select(Quote))} (cwd {launch.WorkingDirectory}, timeout {launch.Timeout.TotalSeconds:0}s) at {timeProvider.GetUtcNow():O}");
        using var log = new InstallerOutputLog(launch.LogPath, header);
        var info = BuildStartInfo(launch);

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception e)
        {
            var message = $"the installer could not be started: {e.Message}";
            log.Complete($"# {message}");
            return new InstallerOutcome(InstallerEnd.FailedToStart, null, null, "", message, Elapsed(started));
        }

        using (process)
        {
            process.StandardInput.Close();
            var pid = process.Id;
            var pumps = Task.WhenAll(
                PumpAsync(process.StandardOutput.BaseStream, log, fromStandardError: false),
                PumpAsync(process.StandardError.BaseStream, log, fromStandardError: true));
            LogStarted(launch.CatalogId, pid, launch.ExecutablePath);
            if (onStarted is not null)
            {
                await onStarted(pid).ConfigureAwait(false);
            }

            var end = InstallerEnd.Exited;
            using (var timeout = new CancellationTokenSource(launch.Timeout, timeProvider))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            {
                try
                {
                    await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    end = cancellationToken.IsCancellationRequested ? InstallerEnd.Cancelled : InstallerEnd.TimedOut;
                }
            }

            // The group dies with its leader: after a timeout or a cancel, and after a normal exit for what it left behind.
            KillTree(process, pid);
            KillEscaped(launch);
            if (end != InstallerEnd.Exited)
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            try
            {
                await pumps.WaitAsync(DrainGrace, timeProvider, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A grandchild that made itself a new session still holds the pipes; stop reading rather than wait for it.
                LogPipesHeld(launch.CatalogId, pid);
            }

            var exitCode = end == InstallerEnd.Exited ? process.ExitCode : (int?)null;
            var duration = Elapsed(started);
            var summary = end switch
            {
                InstallerEnd.Exited => $"exited with code {exitCode}",
                InstallerEnd.TimedOut => $"timed out after {launch.Timeout.TotalSeconds:0}s; its process group was killed",
                _ => "cancelled; its process group was killed",
            };
            log.Complete(string.Create(CultureInfo.InvariantCulture, $"# {summary} after {duration.TotalSeconds:0.0}s ({log.TotalBytes} bytes of output)"));
            LogEnded(launch.CatalogId, pid, summary);
            return new InstallerOutcome(end, exitCode, pid, log.Tail(ErrTailChars), null, duration);
        }
    }

    /// <summary>Why the file cannot be an installer, or null. Only native executables and <c>#!</c> scripts run: nothing is handed to a shell.</summary>
    internal static string? CheckExecutable(string path, bool setExecuteBit)
    {
        try
        {
            if (!File.Exists(path))
            {
                return $"the installer file {Path.GetFileName(path)} is missing from the release's folder";
            }

            Span<byte> head = stackalloc byte[4];
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                var read = file.ReadAtLeast(head, 4, throwOnEndOfStream: false);
                head = head[..read];
            }

            var isScript = head.Length >= 2 && head[0] == '#' && head[1] == '!';
            var isElf = head.Length == 4 && head.SequenceEqual("\u007fELF"u8);
            if (!isScript && !isElf)
            {
                return $"the installer {Path.GetFileName(path)} is neither a native executable nor a script with a #! line";
            }

            if (setExecuteBit && !OperatingSystem.IsWindows())
            {
                const UnixFileMode exec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | exec);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the installer {Path.GetFileName(path)} cannot be prepared: {e.Message}";
        }
    }

    // The execute bit is set only on files of the release's own folder, never on a program elsewhere on the device.
    private static bool IsInside(string path, string folder)
    {
        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(path).StartsWith(root, StringComparison.Ordinal);
    }

    private static ProcessStartInfo BuildStartInfo(InstallerLaunch launch)
    {
        var setsid = OperatingSystem.IsLinux() ? ProcessGroup.SetsidPath : null;
        var info = new ProcessStartInfo(setsid ?? launch.ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = launch.WorkingDirectory,
        };
        if (setsid is not null)
        {
            info.ArgumentList.Add(launch.ExecutablePath);
        }

        foreach (var argument in launch.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in launch.Environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static void KillTree(Process process, int pid)
    {
        if (ProcessGroup.SetsidPath is not null && OperatingSystem.IsLinux())
        {
            ProcessGroup.Kill(pid);
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static void KillEscaped(InstallerLaunch launch)
    {
        if (launch.Environment.TryGetValue(RunVariable, out var run))
        {
            ProcessGroup.KillAllByEnvironment(RunVariable, run);
        }
    }

    private static async Task PumpAsync(Stream stream, InstallerOutputLog log, bool fromStandardError)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                log.Write(buffer.AsSpan(0, read), fromStandardError);
            }
        }
        catch (IOException)
        {
            // The pipe broke: the writer is gone.
        }
        catch (ObjectDisposedException)
        {
            // The run ended and stopped reading.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=' or ':' or ',') ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private TimeSpan Elapsed(long startTimestamp) => timeProvider.GetElapsedTime(startTimestamp);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Installer of {CatalogId} started (pid {Pid}): {Path}")]
    private partial void LogStarted(string catalogId, int pid, string path);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Installer of {CatalogId} (pid {Pid}) {Summary}")]
    private partial void LogEnded(string catalogId, int pid, string summary);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Installer of {CatalogId} (pid {Pid}) left a process outside its group holding its output; its output is no longer read")]
    private partial void LogPipesHeld(string catalogId, int pid);
}
