using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>The start-up checks on their own (fast): what is accepted, what is refused and how it is said.</summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:2220")]
    [InlineData("http://0.0.0.0:2220")]
    [InlineData("http://+:2220")]
    [InlineData("http://*:2220")]
    [InlineData("http://[::]:2220")]
    [InlineData("http://localhost:2220/")]
    [InlineData("HTTP://127.0.0.1:2220")]
    public void Urls_KestrelAccepts_AreAccepted(string url) =>
        AgentOptionsValidator.Check(new AgentOptions { Urls = [url], CatalogDir = null, UpstreamUrls = ["http://server"] });

    [Theory]
    [InlineData("127.0.0.1:2244", "has no scheme: write http://127.0.0.1:2244")]
    [InlineData(":2244", "has no scheme: write http://127.0.0.1:2244")]
    [InlineData("localhost:2220", "has no scheme: write http://localhost:2220")]
    [InlineData("tcp://127.0.0.1:2220", "has the scheme 'tcp': use http://HOST:PORT")]
    [InlineData("http://127.0.0.1:99999", "is not a valid URL: write it as http://HOST:PORT")]
    [InlineData("http://127.0.0.1:2220/api/v2", "has a path; the API is always served at the root: write http://127.0.0.1:2220")]
    [InlineData("https://127.0.0.1:2220", "is https:// but no certificate is configured")]
    public void Urls_Mistakes_AreNamedWithTheFix(string url, string expected)
    {
        var e = Assert.Throws<AgentConfigurationException>(() => AgentOptionsValidator.Check(new AgentOptions { Urls = [url] }));

        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NoUpstream_IsAWarningThatSaysHowToAddOne()
    {
        var warnings = AgentOptionsValidator.Check(new AgentOptions());

        Assert.Contains(warnings, w => w.Contains("--upstream URL", StringComparison.Ordinal) && w.Contains("--catalog DIR", StringComparison.Ordinal));
    }

    [Fact]
    public void LogLevel_TakesALevelAndComponentLevels()
    {
        var (minimum, categories, format) = AgentLogging.Parse(new AgentOptions { LogLevel = "Warning, delivery=debug,GetApp.Agent.Core.Deploy.InstallerRunner=trace", LogFormat = "JSON" });

        Assert.Equal(LogLevel.Warning, minimum);
        Assert.Equal([("GetApp.Agent.Core.Delivery", LogLevel.Debug), ("GetApp.Agent.Core.Deploy.InstallerRunner", LogLevel.Trace)], categories);
        Assert.Equal("json", format);
    }

    [Theory]
    [InlineData("verbose", "'verbose' is not a log level")]
    [InlineData("delivry=debug", "names the unknown component 'delivry'")]
    [InlineData("delivery=loud", "'delivery=loud' is not a log level")]
    public void LogLevel_Mistakes_AreNamed(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<AgentConfigurationException>(() => AgentLogging.Parse(new AgentOptions { LogLevel = text })).Message);

    [Fact]
    public void AppSettings_KeysAreComparedByEditDistance()
    {
        Assert.Equal(2, AppSettingsFiles.Distance("catalgo", "catalog"));
        Assert.Equal(1, AppSettingsFiles.Distance("datadirs", "datadir"));
        Assert.Equal(0, AppSettingsFiles.Distance("urls", "urls"));
    }
}
