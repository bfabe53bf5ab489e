using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Tests.Upstream;

/// <summary>Which redirects are followed: 307/308, and http→https on the same host; never a downgrade.</summary>
public class RedirectRuleTests
{
    [Theory]
    [InlineData(307, "http://a/api/x", "http://a/api/y", true, false)]
    [InlineData(308, "http://a/api/x", "http://b:8080/api/x", true, false)]
    [InlineData(301, "http://a/api/x", "https://a/api/x", true, true)]
    [InlineData(302, "http://a:80/api/x", "https://A:8443/api/x", true, true)]
    [InlineData(308, "http://a/api/x", "https://a/api/x", true, true)]
    [InlineData(301, "http://a/api/x", "https://b/api/x", false, false)]
    [InlineData(302, "http://a/api/x", "http://a/login", false, false)]
    [InlineData(303, "http://a/api/x", "http://a/api/x", false, false)]
    [InlineData(307, "https://a/api/x", "http://a/api/x", false, false)]
    [InlineData(300, "http://a/api/x", "https://a/api/x", false, false)]
    [InlineData(307, "http://a/api/x", "ftp://a/api/x", false, false)]
    public void For_StatusAndLocation_FollowOnlyWhatRepeatsTheRequestSafely(int status, string from, string to, bool follow, bool upgrade)
    {
        var rule = RedirectRule.For(status, new Uri(from), new Uri(to));

        Assert.Equal((follow, upgrade), (rule.Follow, rule.UpgradesToHttps));
        Assert.Equal(follow, rule.Refusal.Length == 0);
    }

    [Fact]
    public void For_NoLocation_NotFollowed() => Assert.False(RedirectRule.For(308, new Uri("http://a/x"), null).Follow);
}
