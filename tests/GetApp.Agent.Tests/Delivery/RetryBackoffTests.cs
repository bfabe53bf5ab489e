using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public class RetryBackoffTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(4, 40)]
    public void Delay_DoublesPerAttemptWithinJitterBounds(int attempt, double nominal)
    {
        Assert.Equal(nominal * 0.75, RetryBackoff.Delay(5, attempt, 0).TotalSeconds, 3);
        Assert.Equal(nominal, RetryBackoff.Delay(5, attempt, 0.5).TotalSeconds, 3);
        Assert.True(RetryBackoff.Delay(5, attempt, 0.999).TotalSeconds < nominal * 1.25);
    }

    [Fact]
    public void Delay_ZeroBase_RetriesAtOnce() => Assert.Equal(TimeSpan.Zero, RetryBackoff.Delay(0, 3, 0.5));

    [Fact]
    public void Delay_ManyAttempts_CappedAtTenMinutes() => Assert.Equal(TimeSpan.FromMinutes(10), RetryBackoff.Delay(60, 50, 0.9));

    [Theory]
    [InlineData(5.0, null, 5.0)]
    [InlineData(5.0, 2.0, 5.0)]
    [InlineData(5.0, 30.0, 30.0)]
    [InlineData(0.0, 30.0, 30.0)]
    [InlineData(5.0, -10.0, 5.0)]
    [InlineData(5.0, 86_400.0, 600.0)]
    public void WithRetryAfter_AtLeastWhatTheServerAsked_NeverMoreThanTenMinutes(double backoff, double? retryAfter, double expected) =>
        Assert.Equal(TimeSpan.FromSeconds(expected),
            RetryBackoff.WithRetryAfter(TimeSpan.FromSeconds(backoff), retryAfter is { } r ? TimeSpan.FromSeconds(r) : null));
}
