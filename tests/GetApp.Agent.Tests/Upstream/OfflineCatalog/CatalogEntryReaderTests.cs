using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Tests.Upstream.OfflineCatalog;

/// <summary>
/// The catalog's plain entries are read without a tree of nodes; what that gives must be, byte for byte, what the
/// thorough way (the serializer, the checks on the release's nodes, <c>Compacted</c>) gives, and anything unusual must
/// be left to the thorough way.
/// </summary>
public sealed class CatalogEntryReaderTests : IDisposable
{
    private const string Hash = "\"hash\": { \"algorithm\": \"SHA256Hex\", \"hash\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" }";

    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private readonly string _dir = Directory.CreateTempSubdirectory("catalog-entry").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Entry(string release, string rest = "") =>
        $$"""{ "release": { "id": "1.a@1.0.0", "version": "1.0.0", "projectId": 1, "projectName": "a"{{release}} }{{rest}} }""";

    public static TheoryData<string> PlainEntries => new()
    {
        Entry(""),
        Entry(""", "releaseNotes": "é \u00e9 \"q\" \/ \\ \t <b>&amp;</b> 'x' + `y` \u003c \u2028 日本 😀 \ud83d\ude00 \u0000", "displayName": "\u0041\u00DF" """),
        Entry(""", "size": 1.50, "n1": 1e5, "n2": -0, "n3": 1E+2, "n4": 12345678901234567890123, "n5": -1.25e-7, "t": true, "f": false, "z": null """),
        Entry(""", "metadata": { "autoDeploy": false, "k": [1, 2.50, {"x": null}], "dup": 1, "dup": 2, "Dup": 3, "é\"": "\u00e9" }, "policies": [] """),
        Entry(""", "status": "released", "type": "formation", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02", "releasedAt": null, "label": null """),
        Entry(""", "status": null, "type": null, "createdAt": "2026-01-01T00:00:00\u002B02:00" """),
        Entry("", """, "isPush": true, "dependedOnBy": ["2.b@1", "3.c@1"], "available": null, "hierarchyTrees": [ { "deviceTypes": [ { "deviceTypeId": 1, "deviceTypeName": "t\u00e9 <x>", "projectLabel": null } ] } ] """),
        Entry("", """, "isPush": false, "dependedOnBy": [], "available": true, "hierarchyTrees": [], "artifacts": [] """),
        Entry("", $$""", "artifacts": [ { "itemKey": "k1", "url": "https://user:pw@cdn.example/a.bin?X-Amz-Signature=abc", "size": 3, {{Hash}}, "artifactType": "software", "isExecutable": true, "arguments": "--x \u00e9" } ] """),
        Entry("", $$""", "artifacts": [ { "itemKey": "k1", "url": "https://cdn.example/a.bin", "size": 3, {{Hash}} }, { "itemKey": "k2", "url": "http://cdn.example/b.bin", "size": 0, {{Hash}}, "metaData": "m", "signature": null } ] """),
        Entry("", """, "other": { "releases": [1, 2] }, "catalogId": "ignored", "hierarchyTrees": null, "artifacts": null, "dependedOnBy": null """),
        """
        {
          // a comment, as people write catalogs by hand
          "release": { "id": "1.a@1.0.0", /* here too */ "version": "1.0.0", "projectId": 1, "projectName": "a", },
          "isPush": true,
        }
        """,
    };

    public static TheoryData<string> UnusualEntries => new()
    {
        "null",
        "[]",
        """{ "isPush": false }""",
        """{ "Release": { "id": "1.a@1.0.0", "version": "1.0.0", "projectId": 1, "projectName": "a" } }""",
        """{ "rel\u0065ase": { "id": "1.a@1.0.0", "version": "1.0.0", "projectId": 1, "projectName": "a" } }""",
        Entry("", """, "isPush": "true" """),
        Entry("", """, "isPush": null """),
        Entry("", """, "ISPUSH": true """),
        Entry("", """, "isPush": true, "isPush": false """),
        Entry("", """, "available": 1 """),
        Entry("", """, "dependedOnBy": ["2.b@1", 3] """),
        Entry("", """, "dependedOnBy": [""] """),
        Entry("", """, "dependedOnBy": [null] """),
        Entry("", """, "hierarchyTrees": {} """),
        Entry("", """, "artifacts": [null] """),
        Entry("", """, "artifacts": [ { "url": "https://x/a", "size": 1 } ] """),
        Entry("", """, "artifacts": [ { "itemKey": "k", "url": "https://x/a", "size": "1" } ] """),
        Entry(""", "id": "1.b@1.0.0" """),
        Entry(""", "ID": "1.b@1.0.0" """),
        Entry(""", "Version": "2" """),
        Entry(""", "st\u0061tus": "released" """),
        Entry(""", "status": "shipped" """),
        Entry(""", "status": 3 """),
        Entry(""", "type": "Product" """),
        Entry(""", "createdAt": "yesterday" """),
        Entry(""", "updatedAt": 20260101 """),
        Entry(""", "ſtatus": "released" """),
        """{ "release": { "id": 1, "version": "1.0.0", "projectId": 1, "projectName": "a" } }""",
        """{ "release": { "id": "1.a@1.0.0", "version": " ", "projectId": 1, "projectName": "a" } }""",
        """{ "release": { "id": "1.a@1.0.0", "version": "\u0020\u00a0", "projectId": 1, "projectName": "a" } }""",
        """{ "release": { "id": "1.a@1.0.0", "version": "1", "projectId": 1.5, "projectName": "a" } }""",
        """{ "release": { "id": "1.a@1.0.0", "version": "1", "projectId": "1", "projectName": "a" } }""",
        """{ "release": { "id": "1.a@1.0.0", "version": "1", "projectId": 99999999999, "projectName": "a" } }""",
        """{ "release": { "id": "1.a@1.0.0", "version": "1", "projectId": 1 } }""",
        """{ "release": null }""",
        """{ "release": [] }""",
    };

    [Theory]
    [MemberData(nameof(PlainEntries))]
    public void TryRead_PlainEntry_GivesWhatTheThoroughWayGives(string json)
    {
        var reader = new CatalogEntryReader(_ => null);

        Assert.True(reader.TryRead(Reader(json)));
        var fast = reader.Take();

        var thorough = Thorough(json);
        Assert.Equal(thorough.CatalogId, fast.CatalogId);
        Assert.Equal(thorough.IsPush, fast.IsPush);
        Assert.Equal(thorough.Available, fast.Available);
        Assert.Equal(thorough.DependedOnBy, fast.DependedOnBy);
        Assert.Equal(Text(thorough.StoredReleaseJson()), Text(fast.StoredReleaseJson()));
        Assert.Equal(Text(thorough.StoredHierarchyJson()), Text(fast.StoredHierarchyJson()));
        Assert.Equal(Text(thorough.StoredArtifactsJson()), Text(fast.StoredArtifactsJson()));
        Assert.Equal(Serialized(thorough.Artifacts), Serialized(fast.Artifacts));
    }

    [Theory]
    [MemberData(nameof(UnusualEntries))]
    public void TryRead_UnusualEntry_StepsAside(string json) =>
        Assert.False(new CatalogEntryReader(_ => null).TryRead(Reader(json)));

    [Fact]
    public void Take_EntryEqualToTheStoredRow_SharesTheRowsArrays_AndADifferentOneHasItsOwn()
    {
        var json = Entry(""", "releaseNotes": "n" """, """, "hierarchyTrees": [ { "deviceTypes": [] } ], "artifacts": [ { "itemKey": "k", "url": "https://x/a?sig=1", "size": 1, """ + Hash + " } ]");
        var thorough = Thorough(json);
        var row = Row(thorough);
        var reader = new CatalogEntryReader(id => id == row.CatalogId ? row : null);

        Assert.True(reader.TryRead(Reader(json)));
        var same = reader.Take();
        Assert.True(reader.TryRead(Reader(json.Replace("\"n\"", "\"m\"", StringComparison.Ordinal))));
        var changed = reader.Take();

        Assert.Same(row.ReleaseJson, same.StoredReleaseJson());
        Assert.Same(row.HierarchyJson, same.StoredHierarchyJson());
        Assert.Same(row.ArtifactsJson, same.StoredArtifactsJson());
        Assert.Same(row.CatalogId, same.CatalogId);
        Assert.Equal("https://x/a?sig=1", same.Artifacts![0].Url); // the entry still tells the real URL; the row holds it masked
        Assert.NotSame(row.ReleaseJson, changed.StoredReleaseJson());
        Assert.Same(row.HierarchyJson, changed.StoredHierarchyJson());
        Assert.Contains("\"m\"", Text(changed.StoredReleaseJson()));
    }

    [Fact]
    public async Task ReadAsync_CatalogTheDeviceStores_SharesEveryStoredArray()
    {
        File.WriteAllText(Path.Combine(_dir, CatalogReader.FileName),
            $$"""{ "releases": [ {{string.Join(", ", Enumerable.Range(1, 50).Select(i => Entry("", """, "hierarchyTrees": [] """).Replace("1.a@1.0.0", $"{i}.a@1.0.0", StringComparison.Ordinal)))}} ] }""");
        var first = await CatalogReader.ReadAsync(_dir, CancellationToken.None);
        var snapshot = ReleaseSnapshot.Of(first.Select(Row));

        var again = await CatalogReader.ReadAsync(_dir, CatalogReader.FileName, snapshot, CancellationToken.None);

        Assert.Equal(50, again.Count);
        Assert.All(again, offer =>
        {
            var row = snapshot.Find(offer.CatalogId!)!;
            Assert.Same(row.ReleaseJson, offer.StoredReleaseJson());
            Assert.Same(row.HierarchyJson, offer.StoredHierarchyJson());
            Assert.Same(row.ArtifactsJson, offer.StoredArtifactsJson());
        });
    }

    [Fact]
    public async Task ReadAsync_EntriesTheThoroughWayReads_StillMeetTheRest()
    {
        // One entry spelled unusually among plain ones: read the thorough way, it still counts for duplicates and the
        // dependency graph.
        File.WriteAllText(Path.Combine(_dir, CatalogReader.FileName), $$"""
            { "releases": [
              { "release": { "id": "1.a@1", "version": "1", "projectId": 1, "projectName": "a" }, "dependedOnBy": ["2.b@1"] },
              { "Release": { "id": "2.b@1", "version": "1", "projectId": 2, "projectName": "b" }, "dependedOnBy": ["1.a@1"] }
            ] }
            """);

        var e = await Assert.ThrowsAsync<InvalidCatalogException>(() => CatalogReader.ReadAsync(_dir, CancellationToken.None));

        Assert.Contains("the dependencies form a cycle: 1.a@1 → 2.b@1 → 1.a@1", e.Message);
    }

    private static Utf8JsonReader Reader(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), Options);
        reader.Read();
        return reader;
    }

    // What CatalogReader did with every entry before it had a plain way: the serializer, the checks (which expand the
    // release's nodes), then Compacted.
    private static OfferedRelease Thorough(string json)
    {
        var reader = Reader(json);
        var entry = JsonSerializer.Deserialize(ref reader, AgentJson.Context.OfferedRelease)!;
        _ = entry.Release!["projectId"];
        return entry.Compacted();
    }

    private static ReleaseRow Row(OfferedRelease offer) =>
        new(new ReleaseRecord(offer.CatalogId!, offer.StoredReleaseJson()!, offer.StoredArtifactsJson(), offer.StoredHierarchyJson(),
            new ReleasePosition(ReleaseState.Offering, null, null, null), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));

    private static string? Text(byte[]? json) => json is null ? null : Encoding.UTF8.GetString(json);

    private static string Serialized(IReadOnlyList<ArtifactSpec>? artifacts) =>
        artifacts is null ? "none" : JsonSerializer.Serialize(artifacts, AgentJson.Context.IReadOnlyListArtifactSpec);
}
