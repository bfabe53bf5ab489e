using System.Globalization;
using GetApp.Agent.IntegrationTests.Chaos;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>
/// The published agent gives back the executable's pages its start used: without it about 90% of the 24 MB executable
/// stays resident for the agent's whole life (docs/BENCHMARKS.md, API at scale).
/// </summary>
[Collection(ChaosSuiteCollection.Name)]
public sealed class StartPagesTests
{
    [ChaosSuiteFact]
    public async Task PublishedAgent_AfterStart_HoldsLessThanHalfOfItsExecutable()
    {
        using var data = new TempDirectory();
        var (started, executable) = await PublishedAgent.StartAsync(data.Path, "--log-level", "debug");
        await using var agent = started;
        (await agent.Client.GetAsync(new Uri("/api/v2/device/releases", UriKind.Relative))).EnsureSuccessStatusCode();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!agent.Output.Contains("[1303]", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains("[1303]", agent.Output, StringComparison.Ordinal);
        await Task.Delay(500);
        var (mapped, resident) = ReadOnlyPagesOf(agent.Pid, executable);
        Assert.True(mapped > 8 << 20, $"the executable maps {mapped} bytes read-only");
        Assert.True(resident < mapped / 2, $"{resident} of the executable's {mapped} read-only bytes are resident after the start");

        // It still answers: what it needs comes back on use.
        (await agent.Client.GetAsync(new Uri("/api/v2/device/offering", UriKind.Relative))).EnsureSuccessStatusCode();
    }

    /// <summary>The read-only mappings of <paramref name="path"/> in the process: bytes mapped, bytes resident.</summary>
    private static (long Mapped, long Resident) ReadOnlyPagesOf(int pid, string path)
    {
        long mapped = 0, resident = 0;
        var counting = false;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && fields[1].Length == 4)
            {
                counting = fields.Length == 6 && fields[5].Trim() == path && fields[1][1] != 'w';
                if (counting)
                {
                    var range = fields[0].Split('-');
                    mapped += (long)(ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) - ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
            else if (counting && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                resident += long.Parse(line[4..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return (mapped, resident);
    }
}
