using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>Moves releases through the agent's own domain service, as the engines do (never by SQL).</summary>
public static class ReleaseMoves
{
    public static async Task<ReleaseRecord> MoveAsync(this TestAgent agent, string catalogId, params (ReleaseAction Action, ReleaseChange? Change)[] moves)
    {
        ReleaseRecord? last = null;
        foreach (var (action, change) in moves)
        {
            var result = await agent.Releases.MoveAsync(catalogId, action, change, CancellationToken.None);
            Assert.True(result.Succeeded, $"{action} on {catalogId} failed: {result.Message}");
            last = result.Release;
        }

        return last!;
    }

    public static (ReleaseAction, ReleaseChange?) Do(ReleaseAction action, ReleaseChange? change = null) => (action, change);
}
