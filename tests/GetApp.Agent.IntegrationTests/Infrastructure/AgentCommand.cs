using System.Diagnostics;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// Runs the real executable (<c>dotnet getapp-agent.dll ...</c>) as a child process to its end, for commands that
/// exit by themselves: a refused start, the offline tools. Killed if it outlives the timeout.
/// </summary>
public static class AgentCommand
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        /// <summary>stderr's non-empty lines.</summary>
        public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static async Task<Result> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "getapp-agent.dll"), .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start getapp-agent");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"getapp-agent {string.Join(' ', arguments)} did not exit:\n{await stdout}\n{await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
