using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Tests.Storage;

/// <summary>
/// The offering's items are written from the rows on demand, not kept: every byte must still be what the contract's
/// serializer writes for <see cref="OfferingItemDto"/> (the route's and the event's bytes before they were rendered on
/// demand), whatever the release's JSON holds.
/// </summary>
public sealed class OfferingItemsTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 12, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Stored release JSON as the store may hold it: the store's own format, and text it did not write itself.</summary>
    public static TheoryData<string> StoredReleases => new(Releases);

    private static readonly string[] Releases =
    [
        """{"id":"1.plain@1.0.0","version":"1.0.0","projectId":1,"metadata":{"autoDeploy":false},"policies":[],"label":null}""",
        """{"id":"2.escaped@1.0.0","releaseNotes":"\u00e9 \u2603 \uD83D\uDE00 \u003Cb\u003E \u0026 \u0027q\u0027 \u0022 \\ \n\t\u0001 \u2028"}""",
        """{"id":"3.raw@1.0.0","releaseNotes":"é ☃ 😀 <b> & 'q' + `t`","nested":[[],{},[{"a":[1,2,{"b":null}]}]]}""",
        """{"id":"4.numbers@1.0.0","size":1.5e+30,"projectId":-0,"a":1E-7,"b":12345678901234567890123,"c":0.10}""",
        """{"\u0069d":"5.escaped-name@1.0.0","k\u00e9y":true,"dup":1,"dup":2}""",
        """{}""",
    ];

    [Theory]
    [MemberData(nameof(StoredReleases))]
    public void Item_IsByteForByteWhatTheSerializerWritesOfTheDto(string stored)
    {
        foreach (var (state, push, dependencies) in new (ReleaseState, bool, string[])[]
        {
            (ReleaseState.Offering, false, []),
            (ReleaseState.Push, true, ["1.a@1.0.0", "2.é \"q\" <x>@1.0.0", "3.😀@1.0.0"]),
        })
        {
            var row = Row(stored, state, push, dependencies, "1.theory@1.0.0");
            using var items = new OfferingItems();

            var expected = JsonSerializer.SerializeToUtf8Bytes(ReleaseStatusMapper.ToOfferingDto(row.ToRecord()), AgentJson.Context.OfferingItemDto);

            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(items.Render(row)));
        }
    }

    [Fact]
    public void Array_IsByteForByteWhatTheSerializerWritesOfTheList_AndLeavesTheDeviceReleasesOut()
    {
        var rows = Releases.Select((stored, i) => Row(stored, i % 2 == 0 ? ReleaseState.Offering : ReleaseState.Push, i % 2 == 1, [], $"{i + 1}.offer@1.0.0"))
            .Append(Row("""{"id":"9.delivered@1.0.0"}""", ReleaseState.Downloaded, false, [], "9.delivered@1.0.0"))
            .ToList();
        var snapshot = ReleaseSnapshot.Empty.With(rows.Select(r => new KeyValuePair<string, ReleaseRow?>(r.CatalogId, r)));

        var expected = JsonSerializer.SerializeToUtf8Bytes(OfferingList.Of(snapshot.Select(r => r.ToRecord())), AgentJson.Context.IReadOnlyListOfferingItemDto);
        var array = OfferingItems.ArrayOf(snapshot);
        using var items = new OfferingItems();

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(array));
        Assert.Equal(expected.Length, items.ArrayLength(OfferingItems.Of(snapshot)));
        Assert.Equal("[]"u8.ToArray(), OfferingItems.ArrayOf(ReleaseSnapshot.Empty));
    }

    private static ReleaseRow Row(string stored, ReleaseState state, bool push, string[] dependencies, string id) =>
        new(new ReleaseRecord(id, Encoding.UTF8.GetBytes(stored), "[]"u8.ToArray(), null,
            new ReleasePosition(state, null, null, null), At, At)
        {
            IsPush = push,
            Dependencies = dependencies,
        });
}
