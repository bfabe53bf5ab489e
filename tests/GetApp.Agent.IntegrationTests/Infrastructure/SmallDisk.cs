using System.Diagnostics;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A small tmpfs mounted for one test, to fill up on purpose (root only; <see cref="SmallDiskFactAttribute"/> skips the test
/// otherwise). Always unmounted on dispose, lazily if something still holds it open.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    private string FillerPath => System.IO.Path.Combine(Path, "filler");

    public static SmallDisk Mount(long bytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"getapp-small-disk-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"cannot mount a tmpfs at {path}: {output}");
        }

        return new SmallDisk(path);
    }

    /// <summary>Whether this process can mount one (root, and allowed to mount): null when it can, else why not.</summary>
    public static string? WhyNot { get; } = Probe();

    public long Available => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Fills the disk until no byte is left (writes until the file system refuses).</summary>
    public void Fill()
    {
        using var filler = new FileStream(FillerPath, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        var size = chunk.Length;
        while (size > 0)
        {
            try
            {
                filler.Write(chunk, 0, size);
            }
            catch (IOException)
            {
                size /= 2;
            }
        }
    }

    /// <summary>
    /// Keeps the disk full until disposed, as whatever filled it would: every 20 ms the filler takes what came back beyond
    /// <paramref name="leave"/> bytes (room the agent gave back: its reserve, what a stopped download had reserved, a
    /// shorter log). Two fills in a row left a window: room given back just after the second stayed free.
    /// </summary>
    public IDisposable KeepFull(long leave)
    {
        _hog?.Dispose();
        return _hog = new Hog(this, leave);
    }

    private Hog? _hog;

    private sealed class Hog : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Hog(SmallDisk disk, long leave)
        {
            disk.TakeBeyond(leave);
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    disk.TakeBeyond(leave);
                    await Task.Delay(20, CancellationToken.None);
                }
            });
        }

        public void Dispose()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            _loop.GetAwaiter().GetResult();
        }
    }

    private void TakeBeyond(long leave)
    {
        var extra = Available - leave;
        if (extra <= 0)
        {
            return;
        }

        using var filler = new FileStream(FillerPath, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        while (extra > 0)
        {
            try
            {
                filler.Write(chunk, 0, (int)Math.Min(chunk.Length, extra));
                extra -= chunk.Length;
            }
            catch (IOException)
            {
                return;
            }
        }
    }

    public void FreeFiller() => File.Delete(FillerPath);

    /// <summary>Gives back <paramref name="bytes"/> of what <see cref="Fill"/> took (the filler shrinks by that much).</summary>
    public void FreeFromFiller(long bytes)
    {
        using var filler = new FileStream(FillerPath, FileMode.Open, FileAccess.Write, FileShare.None);
        filler.SetLength(Math.Max(0, filler.Length - bytes));
    }

    /// <summary>Takes <paramref name="bytes"/> of the disk with a file of its own (freed with <see cref="FreeBallast"/>).</summary>
    public void Ballast(long bytes)
    {
        using var ballast = new FileStream(System.IO.Path.Combine(Path, "ballast"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[1024 * 1024];
        Random.Shared.NextBytes(chunk);
        for (var written = 0L; written < bytes; written += chunk.Length)
        {
            ballast.Write(chunk, 0, (int)Math.Min(chunk.Length, bytes - written));
        }
    }

    public void FreeBallast() => File.Delete(System.IO.Path.Combine(Path, "ballast"));

    public void Dispose()
    {
        _hog?.Dispose();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (Run("umount", Path).Code == 0)
            {
                Directory.Delete(Path);
                return;
            }

            Thread.Sleep(100);
        }

        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path);
        }
        catch (IOException)
        {
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            return "needs root on Linux to mount a small tmpfs and fill it (run the tests as root to cover a full disk)";
        }

        try
        {
            using var disk = Mount(1024 * 1024);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            return $"cannot mount a tmpfs here ({e.Message})";
        }
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim());
    }
}

/// <summary>A test that needs a <see cref="SmallDisk"/>: skipped, saying why, where one cannot be mounted.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.WhyNot is { } why)
        {
            Skip = why;
        }
    }
}
