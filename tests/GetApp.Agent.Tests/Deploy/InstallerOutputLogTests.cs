using System.Text;
using GetApp.Agent.Core.Deploy;

namespace GetApp.Agent.Tests.Deploy;

public sealed class InstallerOutputLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-log-{Guid.NewGuid():N}");

    [Fact]
    public void Write_SmallOutput_EverythingInFileAndTail()
    {
        var path = Path.Combine(_dir, "a.log");
        using (var log = new InstallerOutputLog(path, "# header"))
        {
            log.Write("line 1\nline 2\n"u8);
            Assert.Equal("line 1\nline 2", log.Tail(100));
            Assert.Equal("line 2", log.Tail(8));
            log.Complete("# footer");
        }

        Assert.Equal("# header\nline 1\nline 2\n\n# footer\n", File.ReadAllText(path));
    }

    [Fact]
    public void Write_MoreThanHeadBytes_FileKeepsHeadOmissionNoteAndTail()
    {
        var path = Path.Combine(_dir, "b.log");
        var chunk = Encoding.ASCII.GetBytes(new string('x', 1000) + "\n");
        using (var log = new InstallerOutputLog(path, "#"))
        {
            for (var i = 0; i < 3000; i++)
            {
                log.Write(chunk);
            }

            log.Write("the end\n"u8);
            Assert.EndsWith("the end", log.Tail(50));
            log.Complete("# done");
        }

        var text = File.ReadAllText(path);
        Assert.InRange(new FileInfo(path).Length, InstallerOutputLog.HeadBytes, InstallerOutputLog.HeadBytes + InstallerOutputLog.TailBytes + 200);
        Assert.Contains("bytes of output omitted", text);
        Assert.EndsWith("the end\n\n# done\n", text);
    }

    [Fact]
    public void Tail_StdoutBacklogReadAfterStderrLine_FileAndTailStillEndWithTheStderrLine()
    {
        // The two pipes are read side by side: a full stdout pipe (64 KiB) can be read after the installer's last
        // stderr line, although the installer wrote it first.
        var path = Path.Combine(_dir, "d.log");
        var backlog = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
        string tail;
        using (var log = new InstallerOutputLog(path, "#"))
        {
            for (var i = 0; i < 20; i++)
            {
                log.Write(backlog);
            }

            log.Write("fatal: disk full\n"u8, fromStandardError: true);
            log.Write(backlog);
            tail = log.Tail(1500);
            log.Complete("# done");
        }

        Assert.EndsWith("\nfatal: disk full", tail);
        Assert.InRange(tail.Length, 1000, 1500);
        Assert.Contains("fatal: disk full", File.ReadAllText(path));
    }

    [Fact]
    public void Tail_StderrLineAlreadyInOrder_NotRepeated()
    {
        var path = Path.Combine(_dir, "e.log");
        using var log = new InstallerOutputLog(path, "#");
        log.Write("copying\n"u8);
        log.Write("warning: old config\n"u8, fromStandardError: true);
        log.Write("done\n"u8);

        Assert.Equal("copying\nwarning: old config\ndone", log.Tail(1500));
    }

    [Fact]
    public void Constructor_PreviousLogExists_KeptAsDotOne()
    {
        var path = Path.Combine(_dir, "c.log");
        using (var first = new InstallerOutputLog(path, "# first"))
        {
            first.Complete("");
        }

        using (var second = new InstallerOutputLog(path, "# second"))
        {
            second.Complete("");
        }

        Assert.StartsWith("# first", File.ReadAllText(path + ".1"));
        Assert.StartsWith("# second", File.ReadAllText(path));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
