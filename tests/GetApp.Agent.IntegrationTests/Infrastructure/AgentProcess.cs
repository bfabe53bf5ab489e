using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The agent as a real child process (<c>dotnet getapp-agent.dll run ...</c>), for what only a separate process can
/// show: <c>kill -9</c> in the middle of work, and a restart on the same data dir. Always killed on dispose.
/// </summary>
public sealed partial class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private int _disposed;

    private AgentProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public int Pid => _process.Id;

    /// <summary>Whether the process has ended (killed, or exited by itself).</summary>
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the agent with <c>run</c> and the given arguments on a free loopback port; waits until it listens.</summary>
    /// <param name="url">Where it listens; a restart on the same port (children pointing at it) passes the first one's <see cref="BaseAddress"/>.</param>
    public static async Task<AgentProcess> StartAsync(string dataDir, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null,
        string url = "http://127.0.0.1:0")
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "getapp-agent.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in (string[])["exec", dll, "run", "--urls", url, "--data-dir", dataDir, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return await StartAsync(info, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Starts any agent command line (an installed package's executable, an emulated one) that logs where it listens;
    /// waits until it listens, or fails with its output after <paramref name="startTimeout"/>.
    /// </summary>
    public static async Task<AgentProcess> StartAsync(ProcessStartInfo info, TimeSpan startTimeout)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the agent");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
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

        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(startTimeout));
        if (first != listening.Task)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            string text;
            lock (output)
            {
                text = output.ToString();
            }

            throw new InvalidOperationException($"the agent did not start listening:\n{text}");
        }

        var agent = new AgentProcess(process, await listening.Task);
        lock (output)
        {
            agent._output.Append(output);
        }

        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (agent._output) { agent._output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (agent._output) { agent._output.AppendLine(e.Data); } } };
        return agent;
    }

    /// <summary>SIGKILL: no shutdown code runs, as on a power cut.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGSTOP: the process stops where it is, holding what it holds, as at the instant of a kill -9; a SIGKILL after it
    /// destroys exactly that state. In between, a test can read what only that instant shows (its socket queues).
    /// </summary>
    public async Task FreezeAsync()
    {
        using var stop = System.Diagnostics.Process.Start("kill", ["-STOP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await stop!.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd stops a service; returns the exit code (throws if it does not exit in time).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Kills the agent if it still runs. Safe to call twice (a test's <c>await using</c>, then its fixture's).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"GetApp agent listening on (http://[^\s;,]+)")]
    private static partial Regex ListeningLine();
}
