using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.OfflineMedia;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// What the offline-media verbs (<c>catalog</c>, <c>export</c>) share: they work on folders, not on a running agent, and
/// end in 0 (done) or 1 with one line naming the problem and the fix.
/// </summary>
internal static class OfflineTool
{
    public static async Task<int> RunAsync(Func<Task<int>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OfflineMediaException or Hosting.AgentConfigurationException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            var line = string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Console.Error.WriteLineAsync($"getapp-agent: {line}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    /// <summary>The verifier for an explicit key file, or none (signatures carried but not checked).</summary>
    public static CosignVerifier Cosign(string? keyFile)
    {
        if (keyFile is null)
        {
            return CosignVerifier.Disabled;
        }

        string pem;
        try
        {
            pem = File.ReadAllText(keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OfflineMediaException($"Cannot read the cosign public key {Path.GetFullPath(keyFile)}: {e.Message}", e);
        }

        return CosignVerifier.FromPem(pem, Path.GetFullPath(keyFile));
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
