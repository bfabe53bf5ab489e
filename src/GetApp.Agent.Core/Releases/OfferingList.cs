using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Releases;

/// <summary>The offering (<c>GET /api/v2/device/offering</c> and the <c>offering</c> event stream): offered or pushed, not delivered yet.</summary>
public static class OfferingList
{
    public static bool IsOffer(ReleaseRecord release) => release.State is ReleaseState.Offering or ReleaseState.Push;

    public static IReadOnlyList<OfferingItemDto> Of(IEnumerable<ReleaseRecord> releases) =>
        releases.Where(IsOffer).Select(ReleaseStatusMapper.ToOfferingDto).ToList();
}
