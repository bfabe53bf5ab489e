using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The disk room of a partial file. An attempt reserves up front the room for every byte it still expects
/// (<c>fallocate</c>, <c>KEEP_SIZE</c>: the length stays the bytes written, which is the resume point): fewer, larger
/// extents and far faster appends, and a download never fills the disk half-way — if the room is not there, the attempt
/// says so before fetching a byte. An attempt that stops short gives back what it did not use (<see cref="Release"/>).
/// </summary>
internal static partial class PartialFileSpace
{
    private const int KeepSize = 1; // FALLOC_FL_KEEP_SIZE
    private const int Interrupted = 4, NoSpace = 28, QuotaExceeded = 122; // EINTR, ENOSPC, EDQUOT

    /// <summary>Reserves room for bytes <paramref name="from"/> to <paramref name="to"/>; a file system that cannot is left as it is.</summary>
    /// <exception cref="NotEnoughSpaceException">The disk does not have the room.</exception>
    public static void Reserve(SafeFileHandle file, long from, long? to)
    {
        if (!OperatingSystem.IsLinux() || to is not { } end || end <= from)
        {
            return;
        }

        int result;
        do
        {
            result = FAllocate((int)file.DangerousGetHandle(), KeepSize, from, end - from);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (result != 0 && Marshal.GetLastPInvokeError() is NoSpace or QuotaExceeded)
        {
            throw new NotEnoughSpaceException($"not enough free space for the {end - from} bytes still to download (the disk holds less)");
        }

        // Any other error (a file system without fallocate): the bytes are written as they come, without the reservation.
    }

    /// <summary>
    /// Gives back the room reserved beyond the bytes written: a failed or paused delivery then holds exactly its bytes,
    /// which is what the free-space check counts, and room is not kept for bytes that may never come. Growing the file by
    /// one byte and shrinking it back makes every file system drop what lies past the end (truncating to the same size is
    /// not enough on all of them, tmpfs among them); the extra byte is a hole, so this needs no room itself.
    /// </summary>
    public static void Release(FileStream file)
    {
        try
        {
            var length = file.Length;
            file.SetLength(length + 1);
            file.SetLength(length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Best effort: the bytes written are what matters, and they are untouched.
        }
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int FAllocate(int fd, int mode, long offset, long length);
}
