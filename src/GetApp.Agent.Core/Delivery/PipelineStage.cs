namespace GetApp.Agent.Core.Delivery;

/// <summary>Bytes of a buffer on their way to the disk and the hash; <paramref name="FileOffset"/> is where the first one goes.</summary>
internal readonly record struct Chunk(AlignedBuffer Buffer, int Start, int Length, long FileOffset)
{
    public ReadOnlySpan<byte> Bytes => Buffer.Span.Slice(Start, Length);
}

/// <summary>
/// One stage of a <see cref="DownloadPipeline"/> (the writer or the hasher): a queue the reader adds chunks to, and a
/// thread of its own that takes them, sleeping while there is none. A hand-off wakes that thread directly
/// (<see cref="Monitor.Pulse(object)"/>), not through a thread-pool continuation as a blocking wait on a channel does. The
/// queue needs no bound of its own: it never holds more than the download's <see cref="DownloadBuffers.Count"/> buffers.
/// </summary>
internal sealed class PipelineStage
{
    private readonly Queue<Chunk> _chunks = new();
    private readonly object _gate = new();
    private bool _completed;
    private bool _stopped;

    /// <param name="process">Called for each chunk on the stage's thread; the chunk's buffer is released after it.</param>
    public PipelineStage(string threadName, Action<Chunk> process)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Done = done.Task;
        new Thread(() =>
        {
            try
            {
                Run(process);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = threadName }.Start();
    }

    /// <summary>Completes once the stage has processed every chunk added before <see cref="Complete"/>, or fails with its error.</summary>
    public Task Done { get; }

    /// <summary>Queues a chunk, with one share of its buffer; false (the share released) if the stage stopped after a failure.</summary>
    public bool TryAdd(Chunk chunk)
    {
        lock (_gate)
        {
            if (!_stopped && !_completed)
            {
                _chunks.Enqueue(chunk);
                Monitor.Pulse(_gate);
                return true;
            }
        }

        chunk.Buffer.Release();
        return false;
    }

    /// <summary>No more chunks: the stage finishes what it holds and ends.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run(Action<Chunk> process)
    {
        try
        {
            while (Take() is { } chunk)
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
        catch
        {
            // Stopped: the reader's next hand-off is refused, and what is left here goes back to the buffers.
            lock (_gate)
            {
                _stopped = true;
                while (_chunks.TryDequeue(out var left))
                {
                    left.Buffer.Release();
                }
            }

            throw;
        }
    }

    private Chunk? Take()
    {
        lock (_gate)
        {
            while (_chunks.Count == 0)
            {
                if (_completed)
                {
                    return null;
                }

                Monitor.Wait(_gate);
            }

            return _chunks.Dequeue();
        }
    }
}
