using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// The published agent executable as a black box: started with <c>run</c> on a free loopback port, its output appended
/// to a log file outside the data dir, killed with SIGKILL (no shutdown code runs, as on a power cut) and started again
/// on the same data dir. Optionally with a delay before every rename (<see cref="Harness.RenameDelay"/>), which widens the
/// window between "the files are being moved into artsDirPath" and "the database says so" without touching the agent.
/// </summary>
public sealed partial class AgentUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    private readonly AgentLaunch _launch;
    private readonly StreamWriter _log;
    private Process? _process;
    private int _agentPid;

    private AgentUnderTest(AgentLaunch launch)
    {
        _launch = launch;
        Directory.CreateDirectory(Path.GetDirectoryName(launch.LogPath)!);
        _log = new StreamWriter(new FileStream(launch.LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        Client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    public AgentLaunch Launch => _launch;
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");
    public HttpClient Client { get; private set; }
    public int Pid => _agentPid;
    public string DataDir => _launch.DataDir;
    public bool IsRunning => _process is { HasExited: false };
    public int Starts { get; private set; }

    /// <summary>Starts the agent and waits until it listens (a failure to start is an <see cref="AgentStartException"/>).</summary>
    public static async Task<AgentUnderTest> StartAsync(AgentLaunch launch)
    {
        var agent = new AgentUnderTest(launch);
        try
        {
            await agent.StartProcessAsync(null);
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }

        return agent;
    }

    /// <summary>SIGKILL, then waits for the process to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            Signal(_agentPid, "KILL");
        }

        // Not WaitForExitAsync: it also waits for the end of the output, which a leftover installer may hold open.
        if (!await ExitedAsync(process, TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"the agent (pid {_agentPid}) was still alive 30 s after SIGKILL");
        }

        await WaitGoneAsync(_agentPid);
        WriteLog($"==== chaos: SIGKILL pid {_agentPid} ====");
        process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM (a service stop); returns the exit code, or kills it when it does not stop in time.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_process is not { } process)
        {
            return null;
        }

        if (!process.HasExited)
        {
            Signal(_agentPid, "TERM");
        }

        if (await ExitedAsync(process, timeout))
        {
            await WaitGoneAsync(_agentPid);
            var code = process.ExitCode;
            process.Dispose();
            _process = null;
            return code;
        }

        await KillAsync();
        return null;
    }

    private static async Task<bool> ExitedAsync(Process process, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!process.HasExited)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    /// <summary>Starts it again on the same data dir and arguments (a new port).</summary>
    public Task RestartAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("the agent is still running");
        }

        return StartProcessAsync(null);
    }

    /// <summary>
    /// Starts it and kills it with SIGKILL <paramref name="after"/> the process was spawned, whether or not it listens
    /// by then (a power cut during start-up: migrations, recovery). Returns whether it had started listening.
    /// </summary>
    public async Task<bool> KillDuringStartAsync(TimeSpan after)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("the agent is still running");
        }

        return await StartProcessAsync(after);
    }

    private async Task<bool> StartProcessAsync(TimeSpan? killAfter)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.FileName = _launch.Binary;
        foreach (var a in (string[])["run", "--urls", "http://127.0.0.1:0", "--data-dir", _launch.DataDir, .. _launch.Arguments])
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in _launch.Environment.Concat(_launch.RenameDelay?.Environment() ?? []))
        {
            info.Environment[key] = value;
        }

        // The marker its installers inherit: whatever this run leaves behind can be found and cleaned up.
        info.Environment[ChildProcesses.MarkerVariable] = ChildProcesses.RunId;

        Starts++;
        WriteLog($"==== chaos: start #{Starts} {DateTime.UtcNow:O} ====");
        var process = Process.Start(info) ?? throw new AgentStartException("could not start the agent", "");
        ChildProcesses.Track(process.Id);
        process.StandardInput.Close();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = new Queue<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            WriteLog(line);
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 60)
                {
                    tail.Dequeue();
                }
            }

            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _agentPid = process.Id;

        var exited = process.WaitForExitAsync();
        WriteLog($"==== chaos: agent pid {_agentPid} ====");
        if (killAfter is { } after)
        {
            await Task.WhenAny(exited, Task.Delay(after));
            var listened = listening.Task.IsCompleted;
            await KillAsync();
            return listened;
        }

        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(StartBound));

        if (first != listening.Task)
        {
            string text;
            lock (tail)
            {
                text = string.Join('\n', tail);
            }

            if (!process.HasExited)
            {
                // A start that hangs leaves nothing once killed: what each thread waits on goes to the log and the violation.
                var stuck = StuckProcess.Describe(_agentPid);
                WriteLog($"==== chaos: the agent did not listen; its threads ====\n{stuck}");
                text += $"\n--- the agent's threads ---\n{stuck}";
                Signal(_agentPid, "KILL");
                await ExitedAsync(process, TimeSpan.FromSeconds(30));
            }

            _process = null;
            throw new AgentStartException(first == exited ? $"the agent exited with code {process.ExitCode} before it listened" : $"the agent did not listen within {StartBound.TotalSeconds:0} s", text);
        }

        BaseAddress = AgentAddress(await listening.Task);
        Client.Dispose();
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        foreach (var (name, value) in _launch.Headers)
        {
            Client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        return true;
    }

    private static Uri AgentAddress(Uri listening) => new(listening.ToString().TrimEnd('/') + "/");

    private static async Task WaitGoneAsync(int pid)
    {
        for (var attempt = 0; attempt < 600 && Directory.Exists($"/proc/{pid}") && !IsZombie(pid); attempt++)
        {
            await Task.Delay(50);
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

    internal static void Signal(int pid, string signal)
    {
        if (Kill(pid, signal == "KILL" ? 9 : 15) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 3)
            {
                throw new InvalidOperationException($"kill({pid}, SIG{signal}) failed: errno {errno}");
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public void WriteLog(string line)
    {
        lock (_log)
        {
            _log.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e)
            {
                // Never hide what the scenario threw; the run's clean-up kills what is left.
                Console.WriteLine($"  (the agent pid {_agentPid} could not be stopped: {e.Message})");
            }
        }

        Client.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    [GeneratedRegex(@"GetApp agent listening on (http://[^\s;,]+)")]
    private static partial Regex ListeningLine();
}

/// <summary>How to start the agent: the executable, its data dir and arguments, its environment, where its output goes.</summary>
public sealed record AgentLaunch(string Binary, string DataDir, IReadOnlyList<string> Arguments, string LogPath)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Headers every request of the harness sends (<c>Device-Auth</c> when bound beyond loopback).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>When set, every rename of the agent waits this long first (widens the validation window).</summary>
    public RenameDelay? RenameDelay { get; init; }
}

public sealed class AgentStartException(string message, string output) : Exception($"{message}\n--- last output ---\n{output}");
