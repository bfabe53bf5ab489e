using System.Globalization;

namespace GetApp.Agent.Api;

/// <summary>What part of a file a GET asks for, after <c>Range</c> and <c>If-Range</c> (RFC 9110 §14).</summary>
internal readonly record struct ByteRange(ByteRangeKind Kind, long Start, long Length)
{
    /// <summary>
    /// One satisfiable range gives <see cref="ByteRangeKind.Partial"/>; no range, a malformed or multi-part one, or an
    /// <c>If-Range</c> that does not match the file (strong ETag comparison, or the exact Last-Modified date) gives the
    /// whole file; a range starting past the end gives <see cref="ByteRangeKind.Unsatisfiable"/>.
    /// </summary>
    public static ByteRange Select(string? range, string? ifRange, string etag, DateTimeOffset lastModified, long length)
    {
        var whole = new ByteRange(ByteRangeKind.Full, 0, length);
        if (string.IsNullOrWhiteSpace(range) || length == 0 || !range.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return whole;
        }

        if (!string.IsNullOrWhiteSpace(ifRange) && !Matches(ifRange.Trim(), etag, lastModified))
        {
            return whole;
        }

        var spec = range[6..].Trim();
        if (spec.Contains(',', StringComparison.Ordinal))
        {
            return whole;
        }

        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return whole;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // A suffix: the last N bytes.
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return whole;
            }

            if (suffix == 0)
            {
                return new ByteRange(ByteRangeKind.Unsatisfiable, 0, 0);
            }

            var count = Math.Min(suffix, length);
            return new ByteRange(ByteRangeKind.Partial, length - count, count);
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return whole;
        }

        var end = length - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return whole;
            }

            end = Math.Min(end, length - 1);
        }

        return start >= length
            ? new ByteRange(ByteRangeKind.Unsatisfiable, 0, 0)
            : new ByteRange(ByteRangeKind.Partial, start, end - start + 1);
    }

    private static bool Matches(string ifRange, string etag, DateTimeOffset lastModified)
    {
        if (ifRange.StartsWith('"') || ifRange.StartsWith("W/", StringComparison.Ordinal))
        {
            // Weak tags never match for a range; ours are strong.
            return string.Equals(ifRange, etag, StringComparison.Ordinal);
        }

        return DateTimeOffset.TryParseExact(ifRange, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var date)
            && date == TruncateToSeconds(lastModified);
    }

    public static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}

internal enum ByteRangeKind
{
    Full,
    Partial,
    Unsatisfiable,
}
