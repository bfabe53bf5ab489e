using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

/// <summary>Catalog files are opened at the real path the catalog reader checked, and nowhere else.</summary>
public sealed class ArtifactDownloaderFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("downloader-file").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<DownloadOutcome> DownloadAsync(string source, string partial) =>
        new ArtifactDownloader(new HttpClient(), TimeProvider.System).DownloadAsync(
            new DownloadRequest("k", new Uri(source), null, partial, null), new DownloadObserver(_ => { }, _ => { }), TimeSpan.FromSeconds(10), CancellationToken.None);

    [Fact]
    public async Task Download_RealPath_IsCopied()
    {
        var file = Path.Combine(_dir, "a.bin");
        await File.WriteAllTextAsync(file, "hello");

        var outcome = await DownloadAsync(file, Path.Combine(_dir, "partial", "a.part"));

        Assert.Equal(5, outcome.Length);
    }

    [Fact]
    public async Task Download_PathThatNowGoesThroughALink_IsRefusedWithoutNamingWhereItLeads()
    {
        var elsewhere = Directory.CreateTempSubdirectory("downloader-elsewhere").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(elsewhere, "a.bin"), "secret");
            // The catalog checked <dir>/files/a.bin as a plain folder; then "files" became a link.
            Directory.CreateSymbolicLink(Path.Combine(_dir, "files"), elsewhere);

            var e = await Assert.ThrowsAsync<DeliveryException>(() => DownloadAsync(Path.Combine(_dir, "files", "a.bin"), Path.Combine(_dir, "partial", "a.part")));

            Assert.False(e.Retriable);
            Assert.Contains("symbolic link", e.Message);
            Assert.DoesNotContain(elsewhere, e.Message);
            Assert.Equal(0, new FileInfo(Path.Combine(_dir, "partial", "a.part")).Length);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
