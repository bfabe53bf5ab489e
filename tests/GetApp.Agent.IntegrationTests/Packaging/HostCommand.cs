using System.Diagnostics;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>Runs a command of this machine (apt-get, dpkg-deb, lintian...) to its end, with its output.</summary>
internal static class HostCommand
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A null value removes the variable.
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

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        // No stdin: a command that would prompt (dpkg about a conffile) fails instead of waiting for an answer.
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"`{Describe(file, arguments)}` did not end within {limit}:\n{await stdout}{await stderr}");
        }

        return new Result(process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs the command and returns its output; throws with that output when it fails.</summary>
    public static async Task<string> MustRunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = await RunAsync(file, arguments, timeout, environment);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"`{Describe(file, arguments)}` exited with {result.ExitCode}:\n{result.Output}");
    }

    /// <summary>Whether <paramref name="name"/> is an executable on the PATH.</summary>
    public static bool IsOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));

    private static string Describe(string file, IEnumerable<string> arguments) => string.Join(' ', [file, .. arguments]);
}
