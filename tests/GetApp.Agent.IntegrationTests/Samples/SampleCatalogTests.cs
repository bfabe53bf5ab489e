using System.Security.Cryptography;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Upstream.OfflineCatalog;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Samples;

/// <summary>The shipped sample catalog stays valid: it is what a newcomer runs first.</summary>
public class SampleCatalogTests
{
    [Fact]
    public async Task SampleCatalog_IsValid_WithRealHashesADependencyAndInstallers()
    {
        var releases = await CatalogReader.ReadAsync(RepoPaths.SampleCatalog, CancellationToken.None);

        Assert.True(releases.Count >= 2);
        var dependencies = OfferingGraph.DependenciesOf(releases);
        Assert.Contains(dependencies, d => d.Value.Count > 0);
        Assert.Contains(releases, r => r.IsPush);
        foreach (var release in releases)
        {
            foreach (var artifact in release.Artifacts ?? [])
            {
                var bytes = await File.ReadAllBytesAsync(CatalogReader.ResolveLocalPath(RepoPaths.SampleCatalog, artifact.Url));
                Assert.Equal(artifact.Size, bytes.Length);
                Assert.Equal(artifact.Hash!.TryGetDigest(), SHA256.HashData(bytes));
                if (artifact.IsExecutable == true)
                {
                    Assert.StartsWith("#!", System.Text.Encoding.UTF8.GetString(bytes));
                }
            }
        }

        Assert.Contains(releases, r => r.Artifacts?.Any(a => a.IsExecutable == true) == true);
    }
}
