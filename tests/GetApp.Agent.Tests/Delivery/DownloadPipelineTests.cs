using System.Security.Cryptography;
using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public sealed class DownloadPipelineTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 5000)]
    [InlineData(false, 0)]
    [InlineData(false, 5000)]
    public async Task CopyAsync_ResumedOrNot_FileAndHashCoverTheWholeArtifact(bool directWrites, int resumeAt)
    {
        var data = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 4321);
        var path = Path.Combine(_dir, "artifact.partial");
        File.WriteAllBytes(path, data[..resumeAt]);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(data, 0, resumeAt);

        long received;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0))
        {
            var pipeline = new DownloadPipeline(file.SafeFileHandle, path, resumeAt, hash, Observer(), directWrites, TimeProvider.System);
            received = await CopyAsync(pipeline, new ScriptedBody(data[resumeAt..], maxRead: 100_003), data.Length);
        }

        Assert.Equal(data.Length - resumeAt, received);
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task CopyAsync_ConnectionFailsMidway_EveryByteReceivedIsOnDiskAndInTheHash()
    {
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 777);
        var path = Path.Combine(_dir, "cut.partial");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0))
        {
            var pipeline = new DownloadPipeline(file.SafeFileHandle, path, 0, hash, Observer(), directWrites: true, TimeProvider.System);
            var body = new ScriptedBody(data, maxRead: 65_536, failure: new IOException("connection reset by peer"));

            var error = await Assert.ThrowsAsync<DeliveryException>(() => CopyAsync(pipeline, body, null));
            Assert.True(error.Retriable);
            Assert.Contains("connection reset by peer", error.Message);
        }

        // The unaligned rest of the last buffer was written too: a resume continues from an exact prefix.
        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
    }

    [Fact]
    public async Task CopyAsync_SlowLink_ProgressMovesBeforeTheBufferIsFull()
    {
        var path = Path.Combine(_dir, "slow.partial");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reported = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var observer = new DownloadObserver(length => reported.TrySetResult(length), _ => { });
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        // Each clock reading is 300 ms after the previous one: every read outlasts the hand-off interval.
        var pipeline = new DownloadPipeline(file.SafeFileHandle, path, 0, hash, observer, directWrites: true, new SteppingTimeProvider(TimeSpan.FromMilliseconds(300)));
        // 10,000 bytes, then the body waits until the writer reports progress (a 2 MiB buffer is nowhere near full).
        var body = new ScriptedBody(new byte[10_000], maxRead: 10_000, beforeEnd: reported.Task.WaitAsync(Patience));

        await CopyAsync(pipeline, body, null);

        Assert.Equal(8192, await reported.Task); // two whole blocks went at once; the odd rest waited for the end
        Assert.Equal(10_000, new FileInfo(path).Length);
    }

    [Fact]
    public async Task CopyAsync_FileCannotBeWritten_FailsNotRetriable_WithoutHanging()
    {
        var path = Path.Combine(_dir, "readonly.partial");
        File.WriteAllBytes(path, []);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var pipeline = new DownloadPipeline(file.SafeFileHandle, path, 0, hash, Observer(), directWrites: true, TimeProvider.System);
        // Far more than the queues hold: the reader must stop when the writer fails, not wait for it forever.
        var body = new ScriptedBody(new byte[64 * 1024 * 1024], maxRead: 1024 * 1024);

        var error = await Assert.ThrowsAsync<DeliveryException>(() => CopyAsync(pipeline, body, null).WaitAsync(Patience));

        Assert.False(error.Retriable);
        Assert.Contains("cannot write the partial file", error.Message);
    }

    [Fact]
    public async Task CopyAsync_WriterHeldUp_ReaderStopsWhenItsBuffersAreOut_ThenFinishes()
    {
        var data = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);
        var path = Path.Combine(_dir, "held.partial");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var writerMayGoOn = new ManualResetEventSlim();
        // The writer stops after its first chunk (as a slow disk would); the hasher goes on.
        var observer = new DownloadObserver(_ => writerMayGoOn.Wait(Patience), _ => { });
        var budget = DownloadPipeline.BufferCount * DownloadPipeline.BufferSize;
        var body = new ScriptedBody(data, maxRead: 64 * 1024);
        long received;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0))
        {
            var pipeline = new DownloadPipeline(file.SafeFileHandle, path, 0, hash, observer, directWrites: true, TimeProvider.System);
            var copy = CopyAsync(pipeline, body, data.Length);

            // What a download holds is its buffers, whatever the file size: the reader fills them (whole, or what came
            // within the hand-off interval), then waits for the writer.
            var deadline = DateTime.UtcNow + Patience;
            long seen;
            do
            {
                seen = body.Position;
                await Task.Delay(300);
            }
            while ((seen == 0 || body.Position != seen) && DateTime.UtcNow < deadline);

            Assert.InRange(body.Position, 1, budget);
            Assert.False(copy.IsCompleted);

            writerMayGoOn.Set();
            received = await copy.WaitAsync(Patience);
        }

        Assert.Equal(data.Length, received);
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
        Assert.Equal(data, File.ReadAllBytes(path));
        // The memory a delivery may add (docs/BENCHMARKS.md): it used to be six 4 MiB buffers.
        Assert.True(budget <= 8 * 1024 * 1024, $"{budget} bytes of buffers per download");
    }

    private static DownloadObserver Observer() => new(_ => { }, _ => { });

    private static async Task<long> CopyAsync(DownloadPipeline pipeline, Stream body, long? expectedSize)
    {
        using var stall = new CancellationTokenSource();
        return await pipeline.CopyAsync(body, expectedSize, stall, Patience, CancellationToken.None);
    }

    /// <summary>A response body: at most <c>maxRead</c> bytes per read; at the end, optionally waits, then ends or fails.</summary>
    private sealed class ScriptedBody(byte[] data, int maxRead, Exception? failure = null, Task? beforeEnd = null) : Stream
    {
        private volatile int _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == data.Length)
            {
                if (beforeEnd is not null)
                {
                    await beforeEnd.ConfigureAwait(false);
                }

                return failure is null ? 0 : throw failure;
            }

            var count = Math.Min(Math.Min(maxRead, buffer.Length), data.Length - _position);
            data.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A clock that moves on by <paramref name="step"/> every time it is read.</summary>
    private sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }
}
