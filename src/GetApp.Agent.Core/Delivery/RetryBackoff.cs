namespace GetApp.Agent.Core.Delivery;

/// <summary>Exponential backoff with jitter: base × 2^(attempt-1), ±25 %, capped at 10 minutes, so a fleet does not retry in lockstep.</summary>
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
}
