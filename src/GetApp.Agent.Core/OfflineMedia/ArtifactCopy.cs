using System.Security.Cryptography;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.OfflineMedia;

/// <summary>
/// Copies artifacts into a catalog folder, hashing the bytes as they are read (one pass, whatever the size). A copy is
/// first staged under a temporary name and fsynced; the tools check every staged file (hash, signature) before any
/// takes its real name, so a refused add or export leaves the catalog's files as they were.
/// </summary>
public static class ArtifactCopy
{
    private const int BufferSize = 1024 * 1024;

    /// <summary>Copies <paramref name="source"/> next to <paramref name="destination"/> under a temporary name.</summary>
    public static async Task<StagedFile> StageAsync(string source, string destination, bool executable, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Environment.ProcessId}.tmp");
        try
        {
            byte[] digest;
            long length;
            await using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan | FileOptions.Asynchronous))
            await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                (digest, length) = await PumpAsync(input, output, cancellationToken).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                const UnixFileMode exec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
                File.SetUnixFileMode(temporary, executable ? readable | exec : readable);
            }

            return new StagedFile(source, temporary, destination, digest, length);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The SHA-256 and length of a file, read once.</summary>
    public static async Task<(byte[] Sha256, long Length)> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return await PumpAsync(input, null, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(byte[] Sha256, long Length)> PumpAsync(Stream input, Stream? output, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
        long length = 0;
        try
        {
            int read;
            while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                if (output is not null)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                length += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return (hash.GetHashAndReset(), length);
    }
}

/// <summary>A copy waiting under a temporary name: <see cref="Commit"/> gives it its name; disposing an uncommitted one deletes it.</summary>
public sealed class StagedFile(string source, string temporary, string destination, byte[] sha256, long length) : IDisposable
{
    public string Source { get; } = source;
    public string Destination { get; } = destination;
    public byte[] Sha256 { get; } = sha256;
    public long Length { get; } = length;

    /// <summary>Renames the copy into place (replacing a file of that name) and makes the rename durable.</summary>
    public void Commit()
    {
        File.Move(temporary, Destination, overwrite: true);
        DirectorySync.Sync(Path.GetDirectoryName(Destination)!);
    }

    public void Dispose() => File.Delete(temporary);
}
