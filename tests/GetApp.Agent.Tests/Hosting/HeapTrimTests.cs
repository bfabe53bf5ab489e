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
        // The heap's line, then (on Linux) the executable pages' (StartPagesTests).
        var line = logger.Logged.First();
        Assert.Equal(1302, line.Id.Id);
        Assert.StartsWith("Memory after a test: managed heap ", line.Message, StringComparison.Ordinal);
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
