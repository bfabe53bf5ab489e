using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Writes a download's bytes into its partial file at given offsets. Whole 4 KiB blocks go straight to the disk
/// (<c>O_DIRECT</c>): no copy into the page cache and no dirty pages for the kernel to write back, which is what made a
/// 1 GiB delivery CPU-bound on a two-core device (measured: 0.45–0.64 s of system time per GiB through the page cache,
/// 0.08 s direct). The unaligned head of a resumed file and the tail of the last block go through the page cache.
/// Where the platform or the file system refuses <c>O_DIRECT</c>, everything goes through the page cache with
/// <see cref="WriteBehind"/>. Either way the caller fsyncs before the file may be called delivered.
/// </summary>
internal sealed unsafe partial class PartialFileWriter
{
    internal const int Alignment = AlignedBuffer.Alignment;

    private const int GetFlags = 3, SetFlags = 4; // F_GETFL, F_SETFL
    private const int Interrupted = 4, Invalid = 22; // EINTR, EINVAL

    private readonly SafeFileHandle _file;
    private readonly WriteBehind _writeBehind;
    private bool _directOn;

    /// <param name="tryDirect">Whether to try <c>O_DIRECT</c> at all (tests turn it off to cover the page-cache path).</param>
    public PartialFileWriter(SafeFileHandle file, long start, bool tryDirect)
    {
        _file = file;
        _writeBehind = new WriteBehind(file, start);
        Direct = tryDirect && DirectFlag != 0;
    }

    /// <summary>Whether whole blocks still go direct; false once the platform or the file system refused.</summary>
    public bool Direct { get; private set; }

    /// <summary>The <c>O_DIRECT</c> flag of this platform's Linux ABI, or 0 where direct writes are not attempted.</summary>
    private static int DirectFlag { get; } = !OperatingSystem.IsLinux() || !Environment.Is64BitProcess ? 0
        : RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 0x4000,
            Architecture.Arm64 => 0x10000,
            _ => 0,
        };

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="fileOffset"/>. Direct writes need the memory address and the file
    /// offset to be congruent modulo 4 KiB, as they are for a slice of an <see cref="AlignedBuffer"/> whose index 0 maps
    /// to a 4 KiB boundary of the file.
    /// </summary>
    public void Write(ReadOnlySpan<byte> data, long fileOffset)
    {
        while (!data.IsEmpty)
        {
            var written = Direct && fileOffset % Alignment == 0 && data.Length >= Alignment && IsCongruent(data, fileOffset)
                ? WriteDirect(data[..(data.Length & ~(Alignment - 1))], fileOffset)
                : 0;
            if (written == 0)
            {
                // Through the page cache up to the next block boundary, so the blocks after it can still go direct.
                written = Direct && IsCongruent(data, fileOffset)
                    ? Math.Min(data.Length, Alignment - (int)(fileOffset % Alignment))
                    : data.Length;
                WriteBuffered(data[..written], fileOffset);
            }

            data = data[written..];
            fileOffset += written;
        }
    }

    private static bool IsCongruent(ReadOnlySpan<byte> data, long fileOffset)
    {
        fixed (byte* start = data)
        {
            return ((long)start - fileOffset) % Alignment == 0;
        }
    }

    /// <summary>Writes whole blocks direct; returns how many bytes went, 0 if the file system refused direct writes.</summary>
    private int WriteDirect(ReadOnlySpan<byte> blocks, long fileOffset)
    {
        if (!SetDirect(true))
        {
            return 0;
        }

        var fd = (int)_file.DangerousGetHandle();
        fixed (byte* start = blocks)
        {
            while (true)
            {
                var done = PWrite(fd, start, blocks.Length, fileOffset);
                if (done >= 0)
                {
                    return (int)done; // a short write (disk full) leaves the rest to the caller's loop
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }

                if (errno == Invalid)
                {
                    // Accepted by fcntl but not by the file system (or its block size is larger than 4 KiB).
                    Direct = false;
                    return 0;
                }

                throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
            }
        }
    }

    private void WriteBuffered(ReadOnlySpan<byte> data, long fileOffset)
    {
        if (!SetDirect(false))
        {
            throw new IOException("cannot turn off O_DIRECT on the partial file");
        }

        RandomAccess.Write(_file, data, fileOffset);
        if (!Direct)
        {
            _writeBehind.Advance(fileOffset + data.Length);
        }
    }

    /// <summary>Switches <c>O_DIRECT</c> on the handle; false if that was refused (turning it on then stays off for good).</summary>
    private bool SetDirect(bool on)
    {
        if (_directOn == on)
        {
            return true;
        }

        var fd = (int)_file.DangerousGetHandle();
        var flags = Fcntl(fd, GetFlags, 0);
        if (flags < 0 || Fcntl(fd, SetFlags, on ? flags | DirectFlag : flags & ~DirectFlag) < 0)
        {
            if (on)
            {
                Direct = false;
            }

            return false;
        }

        _directOn = on;
        return true;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, byte* buffer, nint count, long offset);
}
