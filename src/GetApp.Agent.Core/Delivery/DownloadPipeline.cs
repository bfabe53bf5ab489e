using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Moves one response body into the partial file and the running SHA-256. Three stages overlap: the reader (the caller's
/// async flow) fills aligned buffers and hands each one to both a writer thread and a hasher thread through small bounded
/// queues. Hashing is the costliest step (0.68 s of one core per GiB with SHA-NI), so it never waits for the disk: a slow
/// write holds up only the writer's queue. Blocking writes and hashing get their own threads rather than the thread pool's.
/// Memory stays at a few buffers whatever the file size.
/// </summary>
internal sealed class DownloadPipeline
{
    /// <summary>Large buffers mean fewer hand-offs and fewer, larger direct writes (1 GiB took ~8 % longer with 1 MiB ones, measured
    /// before the stages got their own threads).</summary>
    internal const int BufferSize = 4 * 1024 * 1024;

    private const int QueuedBuffers = 3;

    /// <summary>
    /// On a slower link the reader hands over what it has after a read once this much time has passed, so progress and the
    /// resume point move as the bytes come (a throttled origin's 50 ms bursts each go on at once). A fast link fills a
    /// 4 MiB buffer well within it (1 GB/s: 4 ms), so the big direct writes stay big.
    /// </summary>
    internal static readonly TimeSpan HandOffInterval = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentQueue<AlignedBuffer> _buffers = new();
    private readonly Channel<Chunk> _toDisk = Queue();
    private readonly Channel<Chunk> _toHash = Queue();
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
        var writer = RunOnThread("getapp-delivery-write", () =>
        {
            try
            {
                Drain(_toDisk, chunk =>
                {
                    _output.Write(chunk.Bytes, chunk.FileOffset);
                    _observer.OnLength(chunk.FileOffset + chunk.Length);
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DeliveryException($"cannot write the partial file {_fileName}: {e.Message}", retriable: false, e, DeliveryFailureReason.Storage);
            }
        });
        var hasher = RunOnThread("getapp-delivery-hash", () => Drain(_toHash, chunk => _hash.AppendData(chunk.Bytes)));

        // Index i of the current buffer holds file byte bufferBase + i, with bufferBase on a 4 KiB boundary: memory addresses
        // and file offsets stay congruent, as direct writes need. A resume at an odd offset starts mid-buffer.
        var bufferSize = BufferSizeFor(expectedSize);
        var buffer = AlignedBuffer.Rent(_buffers, bufferSize);
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

                var next = AlignedBuffer.Rent(_buffers, bufferSize);
                buffer.Span[end..filled].CopyTo(next.Span);
                var chunk = new Chunk(buffer, start, end - start, bufferBase + start);
                buffer = next;
                bufferBase += end;
                filled -= end;
                start = 0;
                if (!await HandOffAsync(chunk).ConfigureAwait(false))
                {
                    break;
                }

                // Counted from here: time spent waiting for a full queue must not make the next chunk a small one.
                lastHandOff = _time.GetTimestamp();
            }
        }
        finally
        {
            if (filled > start)
            {
                await HandOffAsync(new Chunk(buffer, start, filled - start, bufferBase + start)).ConfigureAwait(false);
            }
            else
            {
                buffer.Release();
            }

            _toDisk.Writer.TryComplete();
            _toHash.Writer.TryComplete();
            // Both stages finish what was queued; the writer's failure, if any, is the one that surfaces.
            try
            {
                await writer.ConfigureAwait(false);
            }
            finally
            {
                await hasher.ConfigureAwait(false);
            }
        }

        return received;
    }

    /// <summary>A small artifact gets a buffer its size (rounded up to whole blocks), not 4 MiB.</summary>
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
    private async ValueTask<bool> HandOffAsync(Chunk chunk)
    {
        chunk.Buffer.Share(2);
        var toDisk = await TryQueueAsync(_toDisk, chunk).ConfigureAwait(false);
        var toHash = await TryQueueAsync(_toHash, chunk).ConfigureAwait(false);
        return toDisk && toHash;
    }

    private static async ValueTask<bool> TryQueueAsync(Channel<Chunk> queue, Chunk chunk)
    {
        try
        {
            await queue.Writer.WriteAsync(chunk, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            chunk.Buffer.Release();
            return false;
        }
    }

    /// <summary>Processes a stage's queue until the reader completes it. On failure the queue is closed (so the reader stops
    /// queueing) and what is left in it is released.</summary>
    private static void Drain(Channel<Chunk> queue, Action<Chunk> process)
    {
        try
        {
            while (WaitToRead(queue.Reader))
            {
                while (queue.Reader.TryRead(out var chunk))
                {
                    try
                    {
                        process(chunk);
                    }
                    finally
                    {
                        chunk.Buffer.Release();
                    }
                }
            }
        }
        catch (Exception e)
        {
            queue.Writer.TryComplete(e);
            while (queue.Reader.TryRead(out var left))
            {
                left.Buffer.Release();
            }

            throw;
        }
    }

    private static bool WaitToRead(ChannelReader<Chunk> reader)
    {
        var wait = reader.WaitToReadAsync(CancellationToken.None);
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private static Task RunOnThread(string name, Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = name }.Start();
        return done.Task;
    }

    private static Channel<Chunk> Queue() =>
        Channel.CreateBounded<Chunk>(new BoundedChannelOptions(QueuedBuffers) { SingleReader = true, SingleWriter = true });

    /// <summary>Bytes of a buffer on their way to the disk and the hash; <paramref name="FileOffset"/> is where the first one goes.</summary>
    private readonly record struct Chunk(AlignedBuffer Buffer, int Start, int Length, long FileOffset)
    {
        public ReadOnlySpan<byte> Bytes => Buffer.Span.Slice(Start, Length);
    }
}
