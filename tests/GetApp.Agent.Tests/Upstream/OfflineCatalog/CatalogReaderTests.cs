using System.Security.Cryptography;
using System.Text;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Tests.Upstream.OfflineCatalog;

public sealed class CatalogReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("catalog-reader").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private string WriteFile(string relative, string content)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Entry(string id, string extra = "", string artifacts = "[]", string release = "") => $$"""
        { "release": { "id": "{{id}}", "version": "1.0.0", "projectId": 1, "projectName": "p" {{release}} }, "isPush": false {{extra}}, "artifacts": {{artifacts}} }
        """;

    private static string Artifact(string url, long size, string hash, string key = "k") =>
        $$"""[{ "itemKey": "{{key}}", "url": "{{url}}", "size": {{size}}, "hash": { "algorithm": "SHA256Hex", "hash": "{{hash}}" } }]""";

    private async Task<InvalidCatalogException> RejectAsync(string json)
    {
        WriteFile("catalog.json", json);
        return await Assert.ThrowsAsync<InvalidCatalogException>(() => CatalogReader.ReadAsync(_dir, CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_ValidCatalog_ReturnsReleasesWithArtifacts()
    {
        WriteFile("files/a.bin", "hello");
        WriteFile("catalog.json", $$"""{ "releases": [ {{Entry("1.a@1.0.0", artifacts: Artifact("files/a.bin", 5, Hex(Encoding.UTF8.GetBytes("hello"))))}} ] }""");

        var releases = await CatalogReader.ReadAsync(_dir, CancellationToken.None);

        var release = Assert.Single(releases);
        Assert.Equal("1.a@1.0.0", release.CatalogId);
        Assert.Equal("files/a.bin", Assert.Single(release.Artifacts!).Url);
    }

    [Fact]
    public async Task ReadAsync_MissingFile_NamesTheFile()
    {
        var e = await Assert.ThrowsAsync<InvalidCatalogException>(() => CatalogReader.ReadAsync(_dir, CancellationToken.None));
        Assert.Contains(Path.Combine(_dir, "catalog.json"), e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public async Task ReadAsync_BadJson_NamesFileAndLine()
    {
        var e = await RejectAsync("{ \"releases\": [\n  { \"release\": ");
        Assert.Contains("catalog.json", e.Message);
        Assert.Contains("not valid JSON at line", e.Message);
    }

    [Theory]
    [InlineData("""{ "releases": [ { "isPush": true } ] }""", "releases[0]: the required object 'release' is missing")]
    [InlineData("""{ "releases": [ { "release": { "version": "1" } } ] }""", "releases[0]: the required string 'release.id' is missing")]
    [InlineData("""{ "releases": [ { "release": { "id": "1.a@1", "projectId": 1, "projectName": "a" } } ] }""", "release '1.a@1': the required string 'release.version' is missing")]
    [InlineData("""{ "releases": [ { "release": { "id": "1.a@1", "version": "1", "projectName": "a" } } ] }""", "release '1.a@1': the required integer 'release.projectId' is missing")]
    [InlineData("""{ "releases": [ { "release": { "id": "1.a@1", "version": "1", "projectId": 1, "projectName": "a", "status": "shipped" } } ] }""", "'release.status' is \"shipped\"")]
    [InlineData("""{ "releases": [ { "release": { "id": "1.a@1", "version": "1", "projectId": 1, "projectName": "a", "createdAt": "yesterday" } } ] }""", "'release.createdAt' is not an ISO 8601 date")]
    [InlineData("""{ "releases": [ { "release": { "id": "a/../b", "version": "1", "projectId": 1, "projectName": "a" } } ] }""", "path separator")]
    [InlineData("""{ "other": [] }""", "the required array 'releases' is missing")]
    public async Task ReadAsync_MissingOrWrongFields_NamesReleaseAndProblem(string json, string expected)
    {
        var e = await RejectAsync(json);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"catalog {Path.Combine(_dir, "catalog.json")}:", e.Message);
    }

    [Fact]
    public async Task ReadAsync_DuplicateId_IsRejected()
    {
        var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1")}}, {{Entry("1.a@1")}} ] }""");
        Assert.Contains("release '1.a@1' appears more than once", e.Message);
    }

    [Fact]
    public async Task ReadAsync_DependencyCycle_IsRejectedWithTheCycle()
    {
        var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", """, "dependedOnBy": ["2.b@1"]""")}}, {{Entry("2.b@1", """, "dependedOnBy": ["1.a@1"]""")}} ] }""");
        Assert.Contains("the dependencies form a cycle: 1.a@1 → 2.b@1 → 1.a@1", e.Message);
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("files/../../outside.bin")]
    [InlineData("%2e%2e/outside.bin")]
    [InlineData("/etc/passwd")]
    public async Task ReadAsync_UrlEscapingTheFolder_IsRejected(string url)
    {
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_dir)!, "outside.bin"), "x");
        var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact(url, 1, new string('a', 64)))}} ] }""");
        Assert.Contains($"release '1.a@1': artifact 'k': url '{url}' escapes the catalog folder", e.Message);
    }

    [Fact]
    public async Task ReadAsync_SymlinkLeadingOutside_IsRejected()
    {
        var outside = Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}");
        File.WriteAllText(outside, "secret");
        try
        {
            Directory.CreateDirectory(Path.Combine(_dir, "files"));
            File.CreateSymbolicLink(Path.Combine(_dir, "files", "link.bin"), outside);
            var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("files/link.bin", 6, new string('a', 64)))}} ] }""");
            Assert.Contains("leads outside the catalog folder through a symbolic link", e.Message);
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task ReadAsync_WrongSizeOrMissingFileOrBadHash_AreRejected()
    {
        WriteFile("files/a.bin", "hello");
        Assert.Contains("has 5 bytes, the catalog says 6",
            (await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("files/a.bin", 6, new string('a', 64)))}} ] }""")).Message);
        Assert.Contains("the file 'files/none.bin' does not exist",
            (await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("files/none.bin", 5, new string('a', 64)))}} ] }""")).Message);
        Assert.Contains("'hash' must be",
            (await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("files/a.bin", 5, "nothex"))}} ] }""")).Message);
        Assert.Contains("unsupported scheme 'ftp'",
            (await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("ftp://host/a.bin", 5, new string('a', 64)))}} ] }""")).Message);
    }

    [Fact]
    public async Task ReadAsync_HttpArtifact_IsAcceptedWithoutALocalFile()
    {
        WriteFile("catalog.json", $$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("https://cdn.example/a.bin?X-Amz-Signature=abc", 5, new string('a', 64)))}} ] }""");
        var releases = await CatalogReader.ReadAsync(_dir, CancellationToken.None);
        Assert.Equal("https://cdn.example/a.bin?X-Amz-Signature=abc", releases[0].Artifacts![0].Url);
    }

    [Fact]
    public async Task PrepareDeliveryAsync_ReturnsFileSourcesInsideTheFolder()
    {
        WriteFile("files/a.bin", "hello");
        WriteFile("catalog.json", $$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("files/a.bin", 5, Hex(Encoding.UTF8.GetBytes("hello"))))}} ] }""");
        var upstream = new OfflineCatalogUpstream(_dir);

        var prepared = await upstream.PrepareDeliveryAsync("1.a@1", CancellationToken.None);
        var missing = await upstream.PrepareDeliveryAsync("9.gone@1", CancellationToken.None);

        Assert.Equal(PrepareStatus.Done, prepared.Status);
        Assert.Equal(Path.Combine(_dir, "files", "a.bin"), Assert.Single(prepared.Artifacts).Source.LocalPath);
        Assert.Equal(PrepareStatus.Error, missing.Status);
        Assert.Contains("no longer in the catalog", missing.Error);
    }

    [Theory]
    [InlineData("files/rootlink/etc/hostname")]
    [InlineData("files/rootlink/etc/passwd")]
    [InlineData("files/rootlink/no/such/file")]
    [InlineData("files/rootlink/../rootlink/etc/hostname")]
    public async Task ReadAsync_DirectoryLinkLeadingOutside_IsRejectedWithoutTellingAnythingAboutTheFileOutside(string url)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "files"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "rootlink"), "/");

        var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact(url, 1, new string('a', 64)))}} ] }""");

        Assert.Contains($"url '{url}' leads outside the catalog folder through a symbolic link", e.Message);
        Assert.DoesNotContain("bytes", e.Message);
        Assert.DoesNotContain("does not exist", e.Message);
    }

    [Fact]
    public async Task ReadAsync_RelativeLinkChainLeadingOutside_IsRejected()
    {
        var outside = Directory.CreateTempSubdirectory("catalog-outside").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.bin"), "secret");
            Directory.CreateDirectory(Path.Combine(_dir, "files", "deep"));
            // files/deep/up -> ../.. (the catalog root), files/hop -> deep/up/.. (its parent: outside), then a file there.
            Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "deep", "up"), "../..");
            Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "hop"), "deep/up/..");
            var url = $"files/hop/{Path.GetFileName(outside)}/secret.bin";

            var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact(url, 6, new string('a', 64)))}} ] }""");

            Assert.Contains("leads outside the catalog folder", e.Message);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task ReadAsync_LinkLoop_IsRejectedNotHung()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "files"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "a"), "b");
        Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "b"), "a");

        var e = await RejectAsync($$"""{ "releases": [ {{Entry("1.a@1", artifacts: Artifact("files/a/x.bin", 1, new string('a', 64)))}} ] }""");

        Assert.Contains("files/a/x.bin", e.Message);
    }

    [Fact]
    public async Task ReadAsync_CatalogJsonLinkingOutside_IsRejectedWithoutReadingIt()
    {
        var outside = Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}.json");
        File.WriteAllText(outside, "not json at all");
        try
        {
            File.CreateSymbolicLink(Path.Combine(_dir, "catalog.json"), outside);

            var e = await Assert.ThrowsAsync<InvalidCatalogException>(() => CatalogReader.ReadAsync(_dir, CancellationToken.None));

            Assert.Contains("leads outside the catalog folder", e.Message);
            Assert.DoesNotContain("JSON", e.Message);
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task PrepareDelivery_LinksInsideTheFolder_AreFollowedToTheRealFile()
    {
        var content = Encoding.UTF8.GetBytes("hello");
        WriteFile("store/v1/a.bin", "hello");
        Directory.CreateDirectory(Path.Combine(_dir, "files"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "current"), "../store/v1");
        WriteFile("catalog.json", $$"""{ "releases": [ {{Entry("1.a@1.0.0", artifacts: Artifact("files/current/a.bin", 5, Hex(content)))}} ] }""");
        // The catalog folder itself reached through a link (a mount point under /media, say) is fine too.
        var linkedRoot = _dir + "-link";
        Directory.CreateSymbolicLink(linkedRoot, _dir);
        try
        {
            var upstream = new OfflineCatalogUpstream(linkedRoot);

            var prepared = await upstream.PrepareDeliveryAsync("1.a@1.0.0", CancellationToken.None);

            Assert.Equal(PrepareStatus.Done, prepared.Status);
            Assert.Equal(Path.Combine(_dir, "store", "v1", "a.bin"), Assert.Single(prepared.Artifacts).Source.LocalPath);
        }
        finally
        {
            Directory.Delete(linkedRoot);
        }
    }

    [Theory]
    [InlineData("files/swapped.bin")]
    [InlineData("files/dir/inner.bin")]
    public void ResolveLocalPath_LinkSwappedInAfterTheCatalogWasRead_IsRefusedNotResolvedOutside(string url)
    {
        // Found by the chaos suite (long form): prepare reads the catalog (the file was inside then), then resolves each
        // artifact's path again; a link swapped in between led outside, and the file outside was delivered.
        var outside = Directory.CreateTempSubdirectory("outside").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "swapped.bin"), "secret");
            File.WriteAllText(Path.Combine(outside, "inner.bin"), "secret");
            Directory.CreateDirectory(Path.Combine(_dir, "files"));
            File.CreateSymbolicLink(Path.Combine(_dir, "files", "swapped.bin"), Path.Combine(outside, "swapped.bin"));
            Directory.CreateSymbolicLink(Path.Combine(_dir, "files", "dir"), outside);

            var e = Assert.Throws<InvalidCatalogException>(() => CatalogReader.ResolveLocalPath(_dir, url));

            Assert.Contains($"url '{url}' leads outside the catalog folder through a symbolic link", e.Message);
            Assert.DoesNotContain(outside, e.Message);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
