using System.Text;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// The installer's stdout and stderr, interleaved as they arrive, in a log file of bounded size: the first
/// <see cref="HeadBytes"/> go straight to the file; beyond that only the last <see cref="TailBytes"/> are kept in memory
/// and appended at the end with a note of what was left out. Memory stays flat whatever the installer prints.
/// </summary>
internal sealed class InstallerOutputLog : IDisposable
{
    public const int HeadBytes = 1024 * 1024;
    public const int TailBytes = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly byte[] _ring = new byte[TailBytes];
    private long _total;
    private long _written;
    private int _ringEnd;
    private bool _ringFull;

    public InstallerOutputLog(string path, string header)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Keep the previous run's log beside the new one: a failed install is often retried before anyone reads it.
        if (File.Exists(path))
        {
            File.Move(path, path + ".1", overwrite: true);
        }

        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 16 * 1024);
        var bytes = Encoding.UTF8.GetBytes(header + "\n");
        _file.Write(bytes);
    }

    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _total += data.Length;
            if (_written < HeadBytes)
            {
                var head = (int)Math.Min(data.Length, HeadBytes - _written);
                _file.Write(data[..head]);
                _written += head;
            }

            AppendToRing(data);
        }
    }

    /// <summary>Writes what was held back and a closing line, and flushes the file.</summary>
    public void Complete(string footer)
    {
        lock (_lock)
        {
            var omitted = _total - _written;
            if (omitted > 0)
            {
                var tail = RingContents();
                var kept = (int)Math.Min(tail.Length, omitted);
                var skipped = omitted - kept;
                if (skipped > 0)
                {
                    _file.Write(Encoding.UTF8.GetBytes($"\n[... {skipped} bytes of output omitted ...]\n"));
                }

                _file.Write(tail.AsSpan(tail.Length - kept));
                _written = _total;
            }

            _file.Write(Encoding.UTF8.GetBytes($"\n{footer}\n"));
            _file.Flush(flushToDisk: true);
        }
    }

    /// <summary>The last lines of output (at most <paramref name="maxChars"/> characters), for <c>errMsg</c>.</summary>
    public string Tail(int maxChars)
    {
        byte[] tail;
        lock (_lock)
        {
            tail = RingContents();
        }

        var text = Encoding.UTF8.GetString(tail).Replace("\0", "", StringComparison.Ordinal).TrimEnd();
        if (text.Length <= maxChars)
        {
            return text;
        }

        text = text[^maxChars..];
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline >= 0 && newline < text.Length - 1 ? text[(newline + 1)..] : text;
    }

    public void Dispose() => _file.Dispose();

    private void AppendToRing(ReadOnlySpan<byte> data)
    {
        if (data.Length >= _ring.Length)
        {
            data[^_ring.Length..].CopyTo(_ring);
            _ringEnd = 0;
            _ringFull = true;
            return;
        }

        var first = Math.Min(data.Length, _ring.Length - _ringEnd);
        data[..first].CopyTo(_ring.AsSpan(_ringEnd));
        data[first..].CopyTo(_ring);
        var end = _ringEnd + data.Length;
        _ringFull |= end >= _ring.Length;
        _ringEnd = end % _ring.Length;
    }

    private byte[] RingContents() => _ringFull ? [.. _ring.AsSpan(_ringEnd), .. _ring.AsSpan(0, _ringEnd)] : _ring.AsSpan(0, _ringEnd).ToArray();
}
