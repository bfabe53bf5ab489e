using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Tests.Hosting;

public sealed class StartPagesTests
{
    private static readonly string[] Maps =
    [
        "55e373b0a000-55e373b3f000 r--p 00000000 fe:00 12 /opt/getapp agent/getapp-agent",
        "55e373b3f000-55e374764000 r-xp 00035000 fe:00 12 /opt/getapp agent/getapp-agent",
        "55e374764000-55e374db8000 r--p 00c5a000 fe:00 12 /opt/getapp agent/getapp-agent",
        "55e37524c000-55e3752aa000 rw-p 01742000 fe:00 12 /opt/getapp agent/getapp-agent",
        "55e3752aa000-55e375938000 rw-p 00000000 00:00 0 ",
        "55e39e6e5000-55e39e917000 rw-p 00000000 00:00 0                          [heap]",
        "7f120cbcd000-7f120cd23000 r-xp 00028000 fe:00 99 /usr/lib/x86_64-linux-gnu/libc.so.6",
        "7f120cd23000-7f120cd24000 ---p 00000000 fe:00 12 /opt/getapp agent/getapp-agent",
        "garbage line",
    ];

    [Fact]
    public void ReadOnlyRegionsOf_TakesTheExecutablesReadOnlyMappingsOnly()
    {
        var regions = StartPages.ReadOnlyRegionsOf(Maps, "/opt/getapp agent/getapp-agent");

        Assert.Equal(
            [(0x55e373b0a000, 0x35000), (0x55e373b3f000, 0xc25000), (0x55e374764000, 0x654000)],
            regions.Select(r => ((long)r.Start, (long)r.Length)));
    }

    [Fact]
    public void ReadOnlyRegionsOf_AnotherFile_Nothing() =>
        Assert.Empty(StartPages.ReadOnlyRegionsOf(Maps, "/opt/getapp agent/getapp-agent.old"));

    [Fact]
    public void Release_InThisProcess_LeavesItWorkingAndNeverHoldsMoreThanBefore()
    {
        var logger = new Lines();
        var outcome = StartPages.Release(logger);

        if (OperatingSystem.IsLinux())
        {
            var released = Assert.NotNull(outcome);
            Assert.True(released.MappedBytes > 0);
            Assert.True(released.ResidentAfter <= released.ResidentBefore, $"{released.ResidentAfter} resident after, {released.ResidentBefore} before");
            Assert.Equal(1303, Assert.Single(logger.Logged).Id.Id);
        }
        else
        {
            Assert.Null(outcome);
        }
    }
}
