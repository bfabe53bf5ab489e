using System.Net;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>
/// A child agent bounds its parent's clock by the <c>Date</c> of each answer: the parent's time was in
/// <c>[Date, Date + 1 s)</c> while the request was under way. Kestrel's own <c>Date</c> lags up to a second (refreshed by a
/// one-second heartbeat), which broke that bound and made a child's relayed snapshotDate too early.
/// </summary>
public class ExactDateHeaderTests
{
    [Fact]
    public async Task EveryAnswersDate_IsTheSecondItWasSent_NeverTheOneBefore()
    {
        await using var agent = await TestAgent.StartAsync();
        var count = 0;
        for (var round = 0; round < 4; round++)
        {
            // Right after a second begins is where a Date refreshed once a second still names the one before (unless its
            // refresh happens to fall in the first milliseconds); then anywhere in the second.
            await UntilNextSecondAsync();
            foreach (var path in new[] { "/api/v2/agent/configs", "/api/v2/no-such-route" })
            {
                await AssertDateAsync(agent, path);
                count++;
            }

            for (var i = 0; i < 10; i++)
            {
                await AssertDateAsync(agent, "/health/live");
                count++;
                await Task.Delay(50);
            }
        }

        Assert.True(count >= 48, $"{count} answers");
    }

    /// <summary>An answer of the API, or of the error mapping (404 AppError): each carries the second it was sent in.</summary>
    private static async Task AssertDateAsync(TestAgent agent, string path)
    {
        var sent = DateTimeOffset.UtcNow;
        using var response = await agent.Client.GetAsync(path);
        var received = DateTimeOffset.UtcNow;
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        var date = response.Headers.Date ?? throw new InvalidOperationException($"{path}: no Date header");
        Assert.True(date.AddSeconds(1) > sent, $"{path}: Date {date:O} names a second that ended before the request was sent at {sent:O}");
        Assert.True(date <= received, $"{path}: Date {date:O} is after the answer was received at {received:O}");
    }

    private static async Task UntilNextSecondAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var next = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);
        if (next - now > TimeSpan.FromMilliseconds(40))
        {
            await Task.Delay(next - now - TimeSpan.FromMilliseconds(30));
        }

        while (DateTimeOffset.UtcNow < next)
        {
            Thread.Yield();
        }
    }
}
