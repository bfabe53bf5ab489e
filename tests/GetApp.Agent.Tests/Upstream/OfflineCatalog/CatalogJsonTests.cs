using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Tests.Upstream.OfflineCatalog;

/// <summary>The offline catalog is read one entry at a time from a small buffer: entries across and beyond its edges, and errors where they are.</summary>
public sealed class CatalogJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("catalog-json").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Entry(int i, int notes) =>
        $$"""
        {
          // a comment, as people write catalogs by hand
          "isPush": {{(i % 2 == 0 ? "true" : "false")}},
          "release": { "id": "{{i}}.p{{i}}@1.0.0", "version": "1.0.0", "projectId": {{i}}, "projectName": "p{{i}}",
                       "releaseNotes": "{{new string('n', notes)}} é \u00e9 \"q\"", "metadata": { "k": [1, 2.50, {"x": null}] } },
          "hierarchyTrees": [ { "deviceTypes": [ { "deviceTypeName": "t{{i}}" } ] } ],
          "artifacts": [],
        }
        """;

    [Fact]
    public async Task ReadAsync_ThousandsOfEntriesAndOneLargerThanTheBuffer_EveryEntryAsWritten()
    {
        var entries = Enumerable.Range(1, 1500).Select(i => Entry(i, i == 700 ? 300_000 : i % 50)).ToList();
        var json = $$"""{ "note": { "releases": "not this one" }, "releases": [ {{string.Join(",\n", entries)}}, ], "tail": [1, 2] }""";
        await File.WriteAllTextAsync(Path.Combine(_dir, CatalogReader.FileName), json);

        var releases = await CatalogReader.ReadAsync(_dir, CancellationToken.None);

        Assert.Equal(1500, releases.Count);
        var expected = (JsonObject)JsonNode.Parse(json, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        for (var i = 0; i < releases.Count; i++)
        {
            var source = expected["releases"]![i]!;
            Assert.Equal($"{i + 1}.p{i + 1}@1.0.0", releases[i].CatalogId);
            Assert.Equal(i % 2 == 1, releases[i].IsPush);
            Assert.True(JsonNode.DeepEquals(source["release"], releases[i].Release), $"release {i + 1}");
            Assert.True(JsonNode.DeepEquals(source["hierarchyTrees"], releases[i].HierarchyTrees), $"hierarchy {i + 1}");
        }

        Assert.Equal(300_000 + " é é \"q\"".Length, ((string)releases[699].Release!["releaseNotes"]!).Length);
    }

    [Fact]
    public async Task ReadAsync_SyntaxErrorFarIntoTheFile_NamesItsLine()
    {
        var entries = Enumerable.Range(1, 800).Select(i => Entry(i, 200)).ToList();
        var text = $$"""{ "releases": [ {{string.Join(",\n", entries)}} ] }""";
        var broken = text.LastIndexOf("\"artifacts\": []", StringComparison.Ordinal);
        text = text[..broken] + "\"artifacts\": [}" + text[(broken + "\"artifacts\": []".Length)..];
        await File.WriteAllTextAsync(Path.Combine(_dir, CatalogReader.FileName), text);
        var line = text[..broken].Count(c => c == '\n') + 1;

        var e = await Assert.ThrowsAsync<InvalidCatalogException>(() => CatalogReader.ReadAsync(_dir, CancellationToken.None));

        Assert.Contains($"not valid JSON at line {line},", e.Message);
        Assert.True(Encoding.UTF8.GetByteCount(text[..broken]) > 4 * 64 * 1024, "the error lies several buffers into the file");
    }

    [Theory]
    [InlineData("""[]""", "not valid JSON")]
    [InlineData("""{ "releases": {} }""", "not valid JSON")]
    [InlineData("""{ "releases": null }""", "the required array 'releases' is missing")]
    [InlineData("""{ "releases": [ null ] }""", "releases[0] is null")]
    [InlineData("""{ "releases": [] } x""", "not valid JSON")]
    [InlineData("""{ "releases": [ """, "not valid JSON")]
    public async Task ReadAsync_WrongShapes_ClearError(string json, string expected)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, CatalogReader.FileName), json);

        var e = await Assert.ThrowsAsync<InvalidCatalogException>(() => CatalogReader.ReadAsync(_dir, CancellationToken.None));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task ReadAsync_EmptyReleases_NoEntries()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, CatalogReader.FileName), """{ "releases": [] }""");

        Assert.Empty(await CatalogReader.ReadAsync(_dir, CancellationToken.None));
    }
}
