namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The buffers of one download: at most <see cref="Count"/> of <see cref="Size"/> bytes, made as they are first needed and
/// reused after that. When all are out (being filled, written or hashed), the reader waits until <see cref="WakeAt"/> of
/// them are back: one wake-up of the reader per few buffers, not per buffer, when the disk or the hash sets the pace.
/// </summary>
internal sealed class DownloadBuffers
{
    private readonly Stack<AlignedBuffer> _free = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource<AlignedBuffer>? _waiter;
    private int _made;

    public DownloadBuffers(int size, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        Size = size;
        Count = count;
        // The reader holds one buffer while it waits for the next: never wait for more than the others.
        WakeAt = Math.Max(1, Math.Min(count / 2, count - 1));
    }

    public int Size { get; }

    public int Count { get; }

    /// <summary>How many buffers must be back before a waiting reader goes on.</summary>
    public int WakeAt { get; }

    /// <summary>How many buffers were made so far: never more than <see cref="Count"/>.</summary>
    public int Made
    {
        get
        {
            lock (_gate)
            {
                return _made;
            }
        }
    }

    /// <summary>A buffer with one holder, the caller; waits while all <see cref="Count"/> are out.</summary>
    public async ValueTask<AlignedBuffer> RentAsync()
    {
        AlignedBuffer? buffer = null;
        Task<AlignedBuffer>? wait = null;
        lock (_gate)
        {
            if (_free.TryPop(out var pooled))
            {
                buffer = pooled;
            }
            else if (_made < Count)
            {
                _made++;
                buffer = new AlignedBuffer(Size, this);
            }
            else
            {
                _waiter = new TaskCompletionSource<AlignedBuffer>(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
        }

        buffer ??= await wait!.ConfigureAwait(false);
        buffer.Hold();
        return buffer;
    }

    /// <summary>Called by a buffer's last holder.</summary>
    internal void Return(AlignedBuffer buffer)
    {
        TaskCompletionSource<AlignedBuffer>? waiter = null;
        AlignedBuffer? handed = null;
        lock (_gate)
        {
            _free.Push(buffer);
            if (_waiter is not null && _free.Count >= WakeAt)
            {
                (waiter, _waiter) = (_waiter, null);
                handed = _free.Pop();
            }
        }

        waiter?.SetResult(handed!);
    }
}
