using GetApp.Agent.Core.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Tests.Hosting;

public sealed class HeapTrimTests
{
    [Fact]
    public void Run_CollectsEverythingAndSaysWhatItGaveBack()
    {
        var logger = new Lines();
        var collections = GC.CollectionCount(GC.MaxGeneration);
        HeapTrim.Run(logger, "a test");

        Assert.True(GC.CollectionCount(GC.MaxGeneration) > collections);
        // The executable pages' line first (on Linux, StartPagesTests), then the heap's.
        var line = Assert.Single(logger.Logged, l => l.Id.Id == 1302);
        Assert.StartsWith("Memory after a test: managed heap ", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_GivesTheExecutablePagesBackBeforeCompacting()
    {
        if (!OperatingSystem.IsLinux() || StartPages.Release(new Lines()) is null)
        {
            return; // Nothing to give back here (StartPagesTests say where).
        }

        // Compacting copies what lives before it frees the old: that copy must not come on top of the start's code pages.
        var logger = new Lines();
        HeapTrim.Run(logger, "a test");

        var ids = logger.Logged.Select(l => l.Id.Id).ToList();
        Assert.True(ids.IndexOf(1303) >= 0 && ids.IndexOf(1303) < ids.IndexOf(1302), $"logged in this order: {string.Join(", ", ids)}");
    }

    [Fact]
    public async Task Soon_AsksMadeTogether_RunOnce()
    {
        var logger = new Lines();
        HeapTrim.Soon(logger, "first");
        HeapTrim.Soon(logger, "second");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (logger.Logged.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await Task.Delay(500);
        Assert.Equal("first", Assert.Single(logger.Logged, l => l.Id.Id == 1302).Message.Split(':')[0]["Memory after ".Length..]);
    }
}
