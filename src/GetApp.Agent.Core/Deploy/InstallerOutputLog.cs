using System.Text;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// The installer's stdout and stderr, interleaved as they arrive, in a log file of bounded size: the first
/// <see cref="HeadBytes"/> go straight to the file; beyond that only the last <see cref="TailBytes"/> are kept in memory
/// and appended at the end with a note of what was left out. Memory stays flat whatever the installer prints.
/// </summary>
/// <remarks>
/// stdout and stderr are two pipes read side by side, so near the end their order is only the order the agent read
/// them in: stdout's unread pipe backlog (up to 64 KiB) can land after an error line the installer wrote to stderr
/// later. The kept tail is therefore much larger than a pipe, and stderr's own last lines are kept apart so that the
/// <c>errMsg</c> tail always ends with them.
/// </remarks>
internal sealed class InstallerOutputLog : IDisposable
{
    public const int HeadBytes = 1024 * 1024;
    public const int TailBytes = 256 * 1024;
    private const int ErrorTailBytes = 4 * 1024;

    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly ByteRing _tail = new(TailBytes);
    private readonly ByteRing _errorTail = new(ErrorTailBytes);
    private long _total;
    private long _written;

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

    public void Write(ReadOnlySpan<byte> data, bool fromStandardError = false)
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

            _tail.Append(data);
            if (fromStandardError)
            {
                _errorTail.Append(data);
            }
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
                var tail = _tail.Contents();
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

    /// <summary>
    /// The last lines of output (at most <paramref name="maxChars"/> characters), for <c>errMsg</c>. When stderr's last
    /// lines are not among them (stdout's backlog was read after them), they are put at the end.
    /// </summary>
    public string Tail(int maxChars)
    {
        byte[] tail, errorTail;
        lock (_lock)
        {
            tail = _tail.Contents();
            errorTail = _errorTail.Contents();
        }

        var text = LastLines(Decode(tail), maxChars);
        var errors = LastLines(Decode(errorTail), maxChars / 2);
        if (errors.Length == 0 || text.Contains(errors, StringComparison.Ordinal))
        {
            return text;
        }

        return LastLines(text, maxChars - errors.Length - 1) + "\n" + errors;
    }

    public void Dispose() => _file.Dispose();

    private static string Decode(byte[] bytes) => Encoding.UTF8.GetString(bytes).Replace("\0", "", StringComparison.Ordinal).TrimEnd();

    private static string LastLines(string text, int maxChars)
    {
        if (text.Length <= maxChars)
        {
            return text;
        }

        text = text[^maxChars..];
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline >= 0 && newline < text.Length - 1 ? text[(newline + 1)..] : text;
    }

    /// <summary>The last <c>capacity</c> bytes appended.</summary>
    private sealed class ByteRing(int capacity)
    {
        private readonly byte[] _ring = new byte[capacity];
        private int _end;
        private bool _full;

        public void Append(ReadOnlySpan<byte> data)
        {
            if (data.Length >= _ring.Length)
            {
                data[^_ring.Length..].CopyTo(_ring);
                _end = 0;
                _full = true;
                return;
            }

            var first = Math.Min(data.Length, _ring.Length - _end);
            data[..first].CopyTo(_ring.AsSpan(_end));
            data[first..].CopyTo(_ring);
            var end = _end + data.Length;
            _full |= end >= _ring.Length;
            _end = end % _ring.Length;
        }

        public byte[] Contents() => _full ? [.. _ring.AsSpan(_end), .. _ring.AsSpan(0, _end)] : _ring.AsSpan(0, _end).ToArray();
    }
}
