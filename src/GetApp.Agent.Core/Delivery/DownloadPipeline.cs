using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Moves one response body into the partial file and the running SHA-256. Three stages overlap: the reader (the caller's
/// async flow) fills aligned buffers and hands each one to both a writer and a hasher, each on a thread of its own
/// (<see cref="PipelineStage"/>). Hashing is the costliest step (0.68 s of one core per GiB with SHA-NI), so it never waits
/// for the disk: a slow write holds up only the writer. Memory is <see cref="BufferCount"/> buffers of
/// <see cref="BufferSize"/> whatever the file size: when all are out, the reader waits for the slower stage.
/// </summary>
internal sealed class DownloadPipeline
{
    /// <summary>
    /// 2 MiB, four of them: 8 MiB per download, whatever the file size. The reader fills one while the others are written
    /// and hashed; when all are out it waits for the slower stage. It used to be up to six 4 MiB buffers, 24 MiB of a
    /// 66 MB peak; measured side by side (docs/BENCHMARKS.md), 2 MiB × 4 took no more CPU or time per GiB, while 1 MiB
    /// buffers (twice the hand-offs, socket reads half as large) took about 20 % more CPU.
    /// </summary>
    internal const int BufferSize = 2 * 1024 * 1024;

    /// <summary>At most this many buffers per download (see <see cref="BufferSize"/>).</summary>
    internal const int BufferCount = 4;

    /// <summary>
    /// On a slower link the reader hands over what it has after a read once this much time has passed, so progress and the
    /// resume point move as the bytes come (a throttled origin's 50 ms bursts each go on at once). A fast link fills a
    /// buffer well within it (1 GB/s: 2 ms), so the direct writes stay whole buffers.
    /// </summary>
    internal static readonly TimeSpan HandOffInterval = TimeSpan.FromMilliseconds(10);

    private readonly PartialFileWriter _output;
    private readonly string _fileName;
    private readonly long _offset;
    private readonly IncrementalHash _hash;
    private readonly DownloadObserver _observer;
    private readonly TimeProvider _time;

    /// <param name="offset">Where the body's first byte goes: the length of the verified prefix already on disk and in <paramref name="hash"/>.</param>
    public DownloadPipeline(SafeFileHandle file, string fileName, long offset, IncrementalHash hash, DownloadObserver observer, bool directWrites, TimeProvider time)
    {
        _output = new PartialFileWriter(file, offset, directWrites);
        _fileName = fileName;
        _offset = offset;
        _hash = hash;
        _observer = observer;
        _time = time;
    }

    /// <summary>
    /// Copies the body to the end; returns the bytes received. Whatever was received is on disk and in the hash before this
    /// returns or throws (a failed read, a stall, a pause), so a resume continues from an exact prefix.
    /// </summary>
    public async Task<long> CopyAsync(Stream body, long? expectedSize, CancellationTokenSource stall, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        var buffers = new DownloadBuffers(BufferSizeFor(expectedSize), BufferCount);
        var writer = new PipelineStage("getapp-delivery-write", chunk =>
        {
            try
            {
                _output.Write(chunk.Bytes, chunk.FileOffset);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DeliveryException($"cannot write the partial file {_fileName}: {e.Message}", retriable: false, e, DeliveryFailureReason.Storage);
            }

            _observer.OnLength(chunk.FileOffset + chunk.Length);
        });
        var hasher = new PipelineStage("getapp-delivery-hash", chunk => _hash.AppendData(chunk.Bytes));

        // Index i of the current buffer holds file byte bufferBase + i, with bufferBase on a 4 KiB boundary: memory addresses
        // and file offsets stay congruent, as direct writes need. A resume at an odd offset starts mid-buffer.
        var buffer = await buffers.RentAsync().ConfigureAwait(false);
        var bufferBase = _offset - (_offset % AlignedBuffer.Alignment);
        var start = (int)(_offset - bufferBase);
        var filled = start;
        var received = 0L;
        var lastHandOff = _time.GetTimestamp();
        try
        {
            while (true)
            {
                int read;
                try
                {
                    stall.CancelAfter(stallTimeout);
                    read = await body.ReadAsync(buffer.Memory[filled..], stall.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw ArtifactDownloader.Stalled(stallTimeout, _offset + received);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw new DeliveryException($"the connection failed after {_offset + received} bytes: {e.Message}", retriable: true, e, DeliveryFailureReason.Network);
                }

                if (read == 0)
                {
                    break;
                }

                if (expectedSize is { } size && _offset + received + read > size)
                {
                    throw new DeliveryException($"the source sent more than the expected {size} bytes", retriable: false, reason: DeliveryFailureReason.Integrity);
                }

                filled += read;
                received += read;
                if (filled < buffer.Size && _time.GetElapsedTime(lastHandOff) < HandOffInterval)
                {
                    continue;
                }

                // Whole blocks go now; the odd rest moves to the start of the next buffer (a copy of under 4 KiB).
                var end = filled & ~(AlignedBuffer.Alignment - 1);
                if (end <= start)
                {
                    continue;
                }

                var next = await buffers.RentAsync().ConfigureAwait(false);
                buffer.Span[end..filled].CopyTo(next.Span);
                var chunk = new Chunk(buffer, start, end - start, bufferBase + start);
                buffer = next;
                bufferBase += end;
                filled -= end;
                start = 0;
                if (!HandOff(chunk, writer, hasher))
                {
                    break;
                }

                // Counted from here: time spent waiting for a free buffer must not make the next chunk a small one.
                lastHandOff = _time.GetTimestamp();
            }
        }
        finally
        {
            if (filled > start)
            {
                HandOff(new Chunk(buffer, start, filled - start, bufferBase + start), writer, hasher);
            }
            else
            {
                buffer.Release();
            }

            writer.Complete();
            hasher.Complete();
            // Both stages finish what was queued; the writer's failure, if any, is the one that surfaces.
            try
            {
                await writer.Done.ConfigureAwait(false);
            }
            finally
            {
                await hasher.Done.ConfigureAwait(false);
            }
        }

        return received;
    }

    /// <summary>A small artifact gets a buffer its size (rounded up to whole blocks), not a whole <see cref="BufferSize"/>.</summary>
    private int BufferSizeFor(long? expectedSize)
    {
        if (expectedSize is not { } size || size - _offset >= BufferSize)
        {
            return BufferSize;
        }

        var needed = Math.Max(0, size - _offset) + (_offset % AlignedBuffer.Alignment);
        return (int)Math.Max(AlignedBuffer.Alignment, (needed + AlignedBuffer.Alignment - 1) & ~(AlignedBuffer.Alignment - 1L));
    }

    /// <summary>Queues a chunk for both the writer and the hasher; false if either has stopped (its error surfaces when it is awaited).</summary>
    private static bool HandOff(Chunk chunk, PipelineStage writer, PipelineStage hasher)
    {
        chunk.Buffer.Share(2);
        var written = writer.TryAdd(chunk);
        var hashed = hasher.TryAdd(chunk);
        return written && hashed;
    }
}
