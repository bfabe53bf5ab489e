using System.Runtime.InteropServices;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// A pinned download buffer whose first byte sits on a 4 KiB boundary, as <c>O_DIRECT</c> writes need
/// (<see cref="PartialFileWriter"/>). Pinned arrays live on the pinned object heap, so the address never moves. A buffer
/// may be read by several stages at once (<see cref="Share"/>); the last <see cref="Release"/> gives it back to its
/// <see cref="DownloadBuffers"/>.
/// </summary>
internal sealed class AlignedBuffer
{
    internal const int Alignment = 4096;

    private readonly byte[] _array;
    private readonly int _origin;
    private readonly DownloadBuffers _pool;
    private int _holders;

    internal AlignedBuffer(int size, DownloadBuffers pool)
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

    /// <summary>Gives the buffer one holder, the one renting it.</summary>
    internal void Hold() => Volatile.Write(ref _holders, 1);

    /// <summary>Hands the buffer to <paramref name="holders"/> stages at once, before any of them can see it; each calls <see cref="Release"/>.</summary>
    public void Share(int holders) => Volatile.Write(ref _holders, holders);

    /// <summary>Lets go of the buffer; the last holder's release puts it back in its pool. A holder must not touch it afterwards.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _pool.Return(this);
        }
    }
}
