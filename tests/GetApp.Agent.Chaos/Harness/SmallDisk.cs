using System.Diagnostics;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// A small tmpfs to fill up on purpose (root only). Always unmounted on dispose, lazily if something still holds it.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    private string FillerPath => System.IO.Path.Combine(Path, "filler");

    public long Available => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Null when this process can mount one here; else why not.</summary>
    public static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            return "not running as root on Linux: a small tmpfs cannot be mounted to fill up (run as root to cover a full disk)";
        }

        return Tools.Has("mount") ? null : "no mount command";
    }

    public static SmallDisk Mount(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        if (code != 0)
        {
            throw new InvalidOperationException($"cannot mount a tmpfs at {path}: {output}");
        }

        return new SmallDisk(path);
    }

    /// <summary>Writes until the file system refuses a single byte more.</summary>
    public void Fill()
    {
        using var filler = new FileStream(FillerPath, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[256 * 1024];
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

    public void Free() => File.Delete(FillerPath);

    public void Dispose()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (Run("umount", Path).Code == 0)
            {
                return;
            }

            Thread.Sleep(200);
        }

        Run("umount", "-l", Path);
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
