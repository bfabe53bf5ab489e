using System.Globalization;
using GetApp.Agent.IntegrationTests.Chaos;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>
/// The published agent asks for transparent huge pages on the zero-filled part of its executable, where the runtime
/// writes its type data at every start (src/GetApp.Agent/Hosting/Native/hugepage_data.c): about 1,600 page faults fewer
/// before the first answer, the largest single gain of the start (docs/BENCHMARKS.md, API at scale).
/// </summary>
[Collection(ChaosSuiteCollection.Name)]
public sealed class HugePageDataTests
{
    [TransparentHugePagesFact]
    public async Task PublishedAgent_AsksForHugePagesForTheDataItsStartWrites()
    {
        using var data = new TempDirectory();
        var (started, executable) = await PublishedAgent.StartAsync(data.Path);
        await using var agent = started;
        (await agent.Client.GetAsync(new Uri("/api/v2/device/releases", UriKind.Relative))).EnsureSuccessStatusCode();

        var (size, flags) = ZeroFilledSegmentOf(agent.Pid, executable);
        Assert.True(size > 4 << 20, $"the executable's zero-filled segment is {size} bytes: the runtime's type data is not in it");
        Assert.Contains("hg", flags);
    }

    /// <summary>
    /// The anonymous mapping right after the executable's last mapping (its writable segment's .bss and .hydrated):
    /// its size and VmFlags.
    /// </summary>
    private static (long Size, string[] Flags) ZeroFilledSegmentOf(int pid, string path)
    {
        ulong executableEnd = 0;
        var inSegment = false;
        long size = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && fields[1].Length == 4)
            {
                var range = fields[0].Split('-');
                var start = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var end = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var name = fields.Length == 6 ? fields[5].Trim() : "";
                inSegment = name.Length == 0 && start == executableEnd && fields[1].StartsWith("rw", StringComparison.Ordinal);
                size = inSegment ? (long)(end - start) : size;
                executableEnd = name == path ? end : 0;
            }
            else if (inSegment && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return (size, line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return (0, []);
    }
}

/// <summary>Runs where the published agent can be had and the kernel has transparent huge pages.</summary>
public sealed class TransparentHugePagesFactAttribute : FactAttribute
{
    public TransparentHugePagesFactAttribute()
    {
        Skip = File.Exists("/sys/kernel/mm/transparent_hugepage/enabled")
            ? PublishedAgent.Unavailable()
            : "this kernel has no transparent huge pages";
    }
}
