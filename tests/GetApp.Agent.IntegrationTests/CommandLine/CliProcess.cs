using System.Diagnostics;
using System.Text;

namespace GetApp.Agent.IntegrationTests.CommandLine;

/// <summary>The real executable run as a client verb (stdout and stderr redirected, as in a script), read as it writes.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _out = [];
    private readonly StringBuilder _err = new();
    private readonly StringBuilder _raw = new();
    private readonly TaskCompletionSource _outClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
    }

    public IReadOnlyList<string> OutLines
    {
        get
        {
            lock (_out)
            {
                return [.. _out];
            }
        }
    }

    /// <summary>Everything written to stdout, exactly (carriage returns and escape codes included).</summary>
    public string RawOut
    {
        get
        {
            lock (_out)
            {
                return _raw.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    public static CliProcess Start(Uri agent, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "getapp-agent.dll"), .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GETAPP_AGENT_URL"] = agent.ToString();
        info.Environment.Remove("DEVICE_SECRET");
        info.Environment.Remove("GETAPP_DEVICE_SECRET");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var cli = new CliProcess(Process.Start(info)!);
        _ = cli.PumpAsync();
        cli._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (cli._err)
                {
                    cli._err.AppendLine(e.Data);
                }
            }
        };
        cli._process.BeginErrorReadLine();
        return cli;
    }

    public static async Task<(int ExitCode, string Out, string Err)> RunAsync(Uri agent, params string[] arguments)
    {
        using var cli = Start(agent, arguments);
        var code = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, cli.RawOut, cli.Err);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _outClosed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>Waits until stdout has a line matching <paramref name="match"/>; returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (OutLines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (_process.HasExited && _outClosed.Task.IsCompleted)
            {
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no such line; stdout:\n{RawOut}\nstderr:\n{Err}");
    }

    private async Task PumpAsync()
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        var reader = _process.StandardOutput;
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_out)
            {
                _raw.Append(buffer, 0, read);
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] == '\n')
                    {
                        _out.Add(line.ToString());
                        line.Clear();
                    }
                    else
                    {
                        line.Append(buffer[i]);
                    }
                }
            }
        }

        lock (_out)
        {
            if (line.Length > 0)
            {
                _out.Add(line.ToString());
            }
        }

        _outClosed.TrySetResult();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
