using System.Buffers;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// The API's JSON for one row, serialised once by the contract's own serializer (so it is byte for byte what the
/// serializer writes for the DTO). While a delivery or an install runs, the status shows the live progress board's
/// <c>eta</c> and <c>progress</c>: those two values are written in place of the stored ones, the rest is copied.
/// </summary>
internal sealed class ReleaseView
{
    private static readonly byte[] EtaProperty = ",\"eta\":"u8.ToArray();
    private static readonly byte[] ProgressProperty = ",\"progress\":"u8.ToArray();
    private static readonly byte[] ReleaseProperty = ",\"release\":"u8.ToArray();

    private readonly byte[]? _status;
    private readonly int _etaValueAt;
    private readonly int _releaseAt;

    private ReleaseView(byte[]? status)
    {
        _status = status;
        if (status is not null)
        {
            // Properties come in the DTO's order and none before "release" is an object, so the first matches are the
            // top-level ones (a string value cannot hold an unescaped quote).
            _etaValueAt = status.AsSpan().IndexOf(EtaProperty) + EtaProperty.Length;
            _releaseAt = status.AsSpan().IndexOf(ReleaseProperty);
            if (_etaValueAt < EtaProperty.Length || _releaseAt < _etaValueAt)
            {
                throw new InvalidOperationException("the release status JSON does not have the contract's shape");
            }
        }
    }

    public static ReleaseView Render(ReleaseRecord record)
    {
        // An offer's item of the offering is written when read (OfferingItems), never kept here.
        var onDevice = record.State is not (ReleaseState.Offering or ReleaseState.Push);
        return new ReleaseView(onDevice ? JsonSerializer.SerializeToUtf8Bytes(ReleaseStatusMapper.ToStatusDto(record, null), AgentJson.Context.DeviceReleaseStatusDto) : null);
    }

    public ReadOnlyMemory<byte> Status(ReleasePosition position, LiveProgress? live)
    {
        if (_status is null)
        {
            throw new InvalidOperationException("an offered release has no status");
        }

        if (live is not { } now || !ReleaseStatusMapper.ShowsLiveProgress(position))
        {
            return _status;
        }

        var buffer = new ArrayBufferWriter<byte>(_status.Length + 32);
        buffer.Write(_status.AsSpan(0, _etaValueAt));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (now.Eta is { } eta)
            {
                writer.WriteNumberValue(eta);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        buffer.Write(ProgressProperty);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteNumberValue(Math.Round(now.Progress, 2));
        }

        buffer.Write(_status.AsSpan(_releaseAt));
        return buffer.WrittenMemory;
    }
}
