using System.Runtime.InteropServices;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Makes a rename durable: a renamed file is only sure to be found under its new name after a power cut once the
/// directory that now holds it is fsynced (POSIX says so; ext4 happens to journal it with the next fsync of anything,
/// XFS and btrfs do not). Called after moving delivered files into place and before the database says they are there.
/// Unix only; elsewhere (no directory fsync) it does nothing.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000; // O_CLOEXEC on Linux (all architectures .NET supports)

    /// <summary>Fsyncs <paramref name="directory"/>; false when it could not be opened or synced (the reason is not fatal: the caller's data is written, only its name's durability is in doubt).</summary>
    public static bool Sync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var fd = Open(directory, ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
