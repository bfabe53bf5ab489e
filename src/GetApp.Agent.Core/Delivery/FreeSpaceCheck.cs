namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Whether the data dir's file system can take a delivery. Sizes come from the upstream and are untrusted: they are added
/// with checked arithmetic, so sizes that add up beyond any disk fail the check instead of wrapping round to a small
/// number that passes it.
/// </summary>
public static class FreeSpaceCheck
{
    /// <summary>What one release of the closure will occupy.</summary>
    /// <param name="DeclaredTotal"><c>metadata.totalSize</c>, when the release declares one.</param>
    /// <param name="ArtifactSizes">The sizes of its artifacts (unknown ones count as 0).</param>
    /// <param name="OnDisk">Bytes already in its partial files.</param>
    public sealed record Release(double? DeclaredTotal, IReadOnlyList<long?> ArtifactSizes, long OnDisk);

    /// <summary>The bytes still needed, or null when they exceed what a 64-bit count can hold (no disk has that much).</summary>
    public static long? Needed(IEnumerable<Release> releases)
    {
        ArgumentNullException.ThrowIfNull(releases);
        try
        {
            var needed = 0L;
            foreach (var release in releases)
            {
                var sum = 0L;
                foreach (var size in release.ArtifactSizes)
                {
                    sum = checked(sum + Math.Max(0, size ?? 0));
                }

                // The larger of the declared total and the artifacts: a small totalSize cannot hide big artifacts.
                var occupies = Math.Max(sum, Whole(release.DeclaredTotal));
                needed = checked(needed + Math.Max(0, occupies - release.OnDisk));
            }

            return needed;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>Null when <paramref name="needed"/> plus the buffer fits in <paramref name="available"/>, else the reason.</summary>
    public static string? Problem(long? needed, long buffer, long available, string dir)
    {
        long? required = needed is { } n && n <= long.MaxValue - buffer ? n + buffer : null;
        if (required is not { } r)
        {
            return $"not enough free space in {dir}: the declared sizes add up to more than {long.MaxValue} bytes, {available} available";
        }

        return r > available
            ? $"not enough free space in {dir}: {r} bytes required ({needed} for the artifacts + {buffer} deliveryStorageBufferBytes), {available} available"
            : null;
    }

    /// <summary>A declared size as a whole number of bytes; beyond a long it throws (no disk holds it), below 0 or NaN it is 0.</summary>
    private static long Whole(double? value) => value switch
    {
        null or double.NaN or <= 0 => 0,
        >= 9.2233720368547758E18 => throw new OverflowException(),
        { } v => (long)Math.Ceiling(v),
    };
}
