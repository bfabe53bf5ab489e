namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Exponential backoff with jitter: base × 2^(attempt-1), ±25 %, capped at 10 minutes, so a fleet does not retry in
/// lockstep; stretched to a source's <c>Retry-After</c> within the same cap.
/// </summary>
public static class RetryBackoff
{
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(10);

    /// <param name="baseDelaySecs">deliveryRetryDelaySecs</param>
    /// <param name="attempt">1 for the first retry</param>
    /// <param name="jitter">a number in [0, 1)</param>
    public static TimeSpan Delay(int baseDelaySecs, int attempt, double jitter)
    {
        if (baseDelaySecs <= 0)
        {
            return TimeSpan.Zero;
        }

        var exponential = baseDelaySecs * Math.Pow(2, Math.Clamp(attempt - 1, 0, 20));
        var seconds = Math.Min(exponential * (0.75 + (0.5 * jitter)), Cap.TotalSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// The wait before the next try when the source said how long to wait (<c>Retry-After</c> on a 429 or 503): at least
    /// that (asking again sooner only earns another refusal), never more than the same 10-minute cap, and never less than
    /// the backoff. A past date or a negative value changes nothing.
    /// </summary>
    public static TimeSpan WithRetryAfter(TimeSpan backoff, TimeSpan? retryAfter) =>
        retryAfter is { } after && after > backoff ? (after < Cap ? after : Cap) : backoff;
}
