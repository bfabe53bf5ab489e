using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Discovery;

/// <summary>The discovery answer is written from the offers' stored JSON: byte for byte what serialising its DTO gives.</summary>
public sealed class DiscoveryResultTests
{
    private static OfferedRelease Offer(string id, bool push, JsonArray? trees, string notes = "n") => new OfferedRelease
    {
        Release = new JsonObject
        {
            ["id"] = id, ["version"] = "1.0.0", ["projectId"] = 1, ["projectName"] = "p", ["releaseNotes"] = notes,
            ["metadata"] = new JsonObject { ["autoDeploy"] = false, ["k"] = new JsonArray(1, 2.5, null) }, ["size"] = 1.50m,
        },
        IsPush = push,
        HierarchyTrees = trees,
    }.Compacted();

    public static TheoryData<int> Shapes => new() { 0, 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task WriteJsonAsync_IsWhatTheSerializerWritesForTheDto(int shape)
    {
        IReadOnlyList<OfferedRelease> offered = shape switch
        {
            0 => [],
            1 => [Offer("1.a@1", push: false, trees: null)],
            2 => [Offer("1.a@1", push: true, trees: [new JsonObject { ["deviceTypes"] = new JsonArray() }])],
            3 => [.. Enumerable.Range(1, 3000).Select(i => Offer($"{i}.a@1", push: i % 3 == 0, trees: i % 2 == 0 ? null : [new JsonObject { ["n"] = i }],
                notes: new string('x', i % 100) + " é <&> \u2028 😀"))],
            _ => [Offer("1.a@1", push: true, trees: null), Offer("2.b@1", push: true, trees: []), Offer("3.c@1", push: false, trees: null)],
        };
        var result = new DiscoveryResult(offered);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));

        await result.WriteJsonAsync(pipe.Writer, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        var written = await ReadAllAsync(pipe.Reader);

        Assert.Equal(JsonSerializer.Serialize(result.ToDto(), AgentJson.Context.DiscoveryResponseDto), System.Text.Encoding.UTF8.GetString(written));
        Assert.Equal(offered.Count, result.Count);
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        using var stream = new MemoryStream();
        await reader.CopyToAsync(stream);
        return stream.ToArray();
    }
}
