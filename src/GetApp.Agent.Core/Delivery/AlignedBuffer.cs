using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// A pinned download buffer whose first byte sits on a 4 KiB boundary, as <c>O_DIRECT</c> writes need
/// (<see cref="PartialFileWriter"/>). Pinned arrays live on the pinned object heap, so the address never moves. A buffer
/// may be read by several stages at once (<see cref="Share"/>); the last <see cref="Release"/> gives it back to its pool.
/// </summary>
internal sealed class AlignedBuffer
{
    internal const int Alignment = 4096;

    private readonly byte[] _array;
    private readonly int _origin;
    private readonly ConcurrentQueue<AlignedBuffer> _pool;
    private int _holders;

    private AlignedBuffer(int size, ConcurrentQueue<AlignedBuffer> pool)
    {
        _array = GC.AllocateUninitializedArray<byte>(size + Alignment, pinned: true);
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _origin = (int)((Alignment - (address % Alignment)) % Alignment);
        _pool = pool;
        Size = size;
    }

    public int Size { get; }

    public Memory<byte> Memory => _array.AsMemory(_origin, Size);

    public Span<byte> Span => _array.AsSpan(_origin, Size);

    /// <summary>A buffer from <paramref name="pool"/> (or a new one), with one holder: the caller.</summary>
    public static AlignedBuffer Rent(ConcurrentQueue<AlignedBuffer> pool, int size)
    {
        var buffer = pool.TryDequeue(out var pooled) ? pooled : new AlignedBuffer(size, pool);
        buffer._holders = 1;
        return buffer;
    }

    /// <summary>Hands the buffer to <paramref name="holders"/> stages at once, before any of them can see it; each calls <see cref="Release"/>.</summary>
    public void Share(int holders) => Volatile.Write(ref _holders, holders);

    /// <summary>Lets go of the buffer; the last holder's release puts it back in its pool. A holder must not touch it afterwards.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _pool.Enqueue(this);
        }
    }
}
