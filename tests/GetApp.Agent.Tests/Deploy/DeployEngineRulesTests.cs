using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Tests.Deploy;

public class DeployEngineRulesTests
{
    [Theory]
    [InlineData("Running", DeploymentStatus.Installing)]
    [InlineData("Installed", DeploymentStatus.Done)]
    [InlineData("Failed", DeploymentStatus.Error)]
    [InlineData("installing", DeploymentStatus.Installing)]
    [InlineData("Done", DeploymentStatus.Done)]
    [InlineData("Cancelled", DeploymentStatus.Cancelled)]
    [InlineData(" Error ", DeploymentStatus.Error)]
    public void ParseReportedStatus_EnumValuesAndManualWords_Accepted(string text, DeploymentStatus expected) =>
        Assert.Equal(expected, DeployEngine.ParseReportedStatus(text));

    [Theory]
    [InlineData("Bogus")]
    [InlineData("")]
    [InlineData("3")]
    public void ParseReportedStatus_UnknownWord_Null(string text) => Assert.Null(DeployEngine.ParseReportedStatus(text));

    [Fact]
    public void InterruptedMessage_WithAndWithoutPid_ExplainsAndSaysHowToRetry()
    {
        Assert.Equal("the installer was interrupted: the agent stopped while it ran (pid 42); what was left of it has been killed; start the deploy again to retry",
            DeployEngine.InterruptedMessage(42, started: true, killed: true));
        Assert.Contains("while it started", DeployEngine.InterruptedMessage(null, started: true, killed: false));
        Assert.Contains("before its installer started", DeployEngine.InterruptedMessage(null, started: false, killed: false));
    }

    [Theory]
    [InlineData("http://127.0.0.1:2220", "http://127.0.0.1:2220/")]
    [InlineData("http://0.0.0.0:2220", "http://127.0.0.1:2220/")]
    [InlineData("http://+:2220", "http://127.0.0.1:2220/")]
    [InlineData("http://*:2220", "http://127.0.0.1:2220/")]
    [InlineData("http://[::]:2220", "http://[::1]:2220/")]
    public void AgentSelfUrl_WildcardBind_ReachedThroughLoopback(string listening, string expected)
    {
        var url = new AgentSelfUrl(new AgentOptions());
        url.Set(listening, deviceAuth: null);
        Assert.Equal(expected, url.AgentUrl!.ToString());
    }

    [Fact]
    public void AgentSelfUrl_NotListeningYet_FallsBackToConfiguredUrl() =>
        Assert.Equal("http://127.0.0.1:2220/", new AgentSelfUrl(new AgentOptions()).AgentUrl!.ToString());
}
