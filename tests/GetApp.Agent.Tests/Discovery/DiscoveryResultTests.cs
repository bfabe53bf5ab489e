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

    [Fact]
    public async Task WriteJsonAsync_FlushesAsItGoes_NeverHoldingMuchMoreThanAChunkUnsent()
    {
        // 3,000 offers make an answer of about 1.5 MB; written into a pipe that is never flushed, all of it would wait in
        // the pipe's segments (in Kestrel, pooled blocks the pool keeps afterwards).
        var offered = Enumerable.Range(1, 3000).Select(i => Offer($"{i}.a@1", push: i % 3 == 0, trees: [new JsonObject { ["n"] = i }], notes: new string('x', 200))).ToList();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var probe = new UnflushedProbe(pipe.Writer);

        await new DiscoveryResult(offered).WriteJsonAsync(probe, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        var written = await ReadAllAsync(pipe.Reader);

        Assert.True(written.Length > 1_000_000, $"the answer is {written.Length} bytes");
        Assert.True(probe.Flushes > written.Length / (128 * 1024), $"{probe.Flushes} flushes for {written.Length} bytes");
        Assert.True(probe.MostUnflushed <= 80 * 1024, $"{probe.MostUnflushed} bytes were buffered before a flush");
    }

    /// <summary>A pipe's writer that notes the most bytes written into it between two flushes.</summary>
    private sealed class UnflushedProbe(PipeWriter inner) : PipeWriter
    {
        private long _unflushed;

        public long MostUnflushed { get; private set; }

        public int Flushes { get; private set; }

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            _unflushed += bytes;
            MostUnflushed = Math.Max(MostUnflushed, _unflushed);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            _unflushed = 0;
            Flushes++;
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        using var stream = new MemoryStream();
        await reader.CopyToAsync(stream);
        return stream.ToArray();
    }
}
