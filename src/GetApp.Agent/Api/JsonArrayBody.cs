using System.Buffers;
using System.IO.Pipelines;

namespace GetApp.Agent.Api;

/// <summary>
/// A JSON array written item by item into a response's pipe, each item already JSON: the caller flushes when
/// <see cref="Add"/> says enough is buffered (about <see cref="FlushBytes"/>), so an answer of MiBs is never held whole.
/// A struct kept in one local: the offering route writes thousands of items and allocates nothing for it.
/// </summary>
internal struct JsonArrayBody(PipeWriter body)
{
    public const int FlushBytes = 64 * 1024;

    private int _unflushed;
    private bool _any;

    public void Start()
    {
        body.Write("["u8);
        _unflushed = 1;
    }

    /// <summary>Writes the item (and the comma before it); true when it is time to flush.</summary>
    public bool Add(ReadOnlySpan<byte> item)
    {
        if (_any)
        {
            body.Write(","u8);
            _unflushed++;
        }

        _any = true;
        body.Write(item);
        _unflushed += item.Length;
        if (_unflushed < FlushBytes)
        {
            return false;
        }

        _unflushed = 0;
        return true;
    }

    public readonly void End() => body.Write("]"u8);

    /// <summary>Flushes; false when the client is gone (nothing more is worth writing).</summary>
    public readonly async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = await body.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !flushed.IsCanceled && !flushed.IsCompleted;
    }
}
