using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public sealed class PartialFileWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-writer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static bool DirectExpected(bool tryDirect) =>
        tryDirect && OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 5000)]
    [InlineData(false, 0)]
    [InlineData(false, 5000)]
    public void Write_SlicesOfAnAlignedBuffer_FileHoldsExactlyTheBytes(bool tryDirect, int resumeAt)
    {
        // The pipeline's layout: index i of an aligned buffer holds file byte fileBase + i, fileBase on a 4 KiB boundary.
        var fileBase = resumeAt - (resumeAt % AlignedBuffer.Alignment);
        var buffer = new AlignedBuffer(2 * 1024 * 1024, new DownloadBuffers(2 * 1024 * 1024, 2));
        var data = RandomNumberGenerator.GetBytes(fileBase + buffer.Size - 1234);
        data.AsSpan(fileBase).CopyTo(buffer.Span);
        var path = Path.Combine(_dir, "artifact.partial");
        File.WriteAllBytes(path, data[..resumeAt]);

        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var writer = new PartialFileWriter(file, resumeAt, tryDirect);
            // An odd head (a resume), whole blocks, blocks plus an odd rest, and the unaligned tail of the download.
            int[] cuts = [resumeAt - fileBase, 8192, 300_000, 1_048_576, data.Length - fileBase];
            for (var i = 0; i + 1 < cuts.Length; i++)
            {
                writer.Write(buffer.Span[cuts[i]..cuts[i + 1]], fileBase + cuts[i]);
            }

            Assert.Equal(DirectExpected(tryDirect), writer.Direct);
        }

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Write_MemoryNotAlignedWithTheFileOffset_StillWritesEveryByte()
    {
        var data = RandomNumberGenerator.GetBytes(3 * AlignedBuffer.Alignment + 17);
        var path = Path.Combine(_dir, "odd.partial");
        using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            var writer = new PartialFileWriter(file, 0, tryDirect: true);
            // An ordinary array slice one byte in: never 4 KiB-aligned together with file offset 0.
            var shifted = new byte[data.Length + 1];
            data.CopyTo(shifted, 1);
            writer.Write(shifted.AsSpan(1), 0);
        }

        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_ReadOnlyFile_ThrowsIOException()
    {
        var path = Path.Combine(_dir, "readonly.partial");
        File.WriteAllBytes(path, []);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var buffer = new AlignedBuffer(AlignedBuffer.Alignment * 4, new DownloadBuffers(AlignedBuffer.Alignment * 4, 2));
        var writer = new PartialFileWriter(file, 0, tryDirect: true);

        Assert.ThrowsAny<IOException>(() => writer.Write(buffer.Span, 0));
    }
}
