using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.OfflineMedia;

namespace GetApp.Agent.Tests.OfflineMedia;

public sealed class CatalogVerifierTests
{
    private static string SampleCatalog()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var sample = Path.Combine(dir.FullName, "samples", "catalog");
            if (File.Exists(Path.Combine(sample, "catalog.json")))
            {
                return sample;
            }
        }

        throw new InvalidOperationException("samples/catalog not found");
    }

    [Fact]
    public async Task TheBundledSample_Verifies()
    {
        var report = await CatalogVerifier.VerifyAsync(SampleCatalog(), CosignVerifier.Disabled, CancellationToken.None);

        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal((3, 5, 0), (report.Releases, report.Files, report.SignaturesChecked));
        Assert.Equal(476 + 573 + 155, report.Bytes);
    }

    [Fact]
    public async Task AFolderThatDoesNotExist_IsAProblem_NotAnException()
    {
        var report = await CatalogVerifier.VerifyAsync(Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}"), CosignVerifier.Disabled, CancellationToken.None);

        Assert.Contains("does not exist", Assert.Single(report.Problems));
    }
}
