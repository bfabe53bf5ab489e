using System.Buffers;
using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Tests.Storage;

/// <summary>
/// The list writes each status straight from the stored release JSON: it must be byte for byte what the contract's
/// serializer writes for the DTO the mapper builds from the parsed JSON, whatever the upstream put in that JSON.
/// </summary>
public sealed class ReleaseStatusWriterTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 12, 10, 0, 0, 123, TimeSpan.FromHours(2));

    // A release as GetApp's services write it: compact, plain strings, wire dates.
    private const string GetAppRelease = """{"id":"7.app@1.0.0","version":"1.0.1","projectId":1,"projectName":"app","displayName":"App","label":null,"status":"released","type":"product","latest":true,"releaseNotes":"n","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-02T00:00:00.000Z","releasedAt":"2026-01-02T00:00:00.000Z","size":64,"metadata":{"autoDeploy":false},"policies":[]}""";

    public static TheoryData<string> Releases() => new()
    {
        GetAppRelease,
        "{}",
        """{"displayName":"caf\u00e9 \"q\" \ud83d\ude00 <b>&' \/ \n\t\\","releaseNotes":"déjà 😀 </script> ,\"eta\":1","label":"\u2028\u0000x"}""",
        """{"\u0064isplayName":"escaped name","ver\u0073ion":"2.0","\u0070rojectId":"12"}""",
        """{"projectId":"42","size":"1e3"}""",
        """{"projectId":1.9,"size":-0.0}""",
        """{"projectId":3000000000,"size":1e400}""",
        """{"projectId":-3000000000,"size":12345678901234567890}""",
        """{"projectId":"abc","size":true}""",
        """{"projectId":null,"size":null,"status":1,"type":null,"version":false,"projectName":{"a":1}}""",
        """{"createdAt":"2026-01-03T04:05:06.789+02:00","updatedAt":"2026-01-03","releasedAt":"not a date"}""",
        """{"createdAt":123,"releasedAt":null,"updatedAt":"\u0032026-01-01T00:00:00Z"}""",
        """{"createdAt":"  2026-01-01 10:00  ","updatedAt":"Wed, 01 Jan 2025 10:00:00 GMT","releasedAt":"2026-06-01T00:00:00.1234567-05:30"}""",
        "{\"createdAt\":\"" + new string(' ', 200) + "2026-01-01\",\"releaseNotes\":\"" + new string('é', 300) + "\"}",
        """{"createdAt":"2024-02-29T23:59:59.999Z","updatedAt":"2026-02-29T00:00:00.000Z","releasedAt":"2026-01-01T24:00:00.000Z"}""",
        """{"createdAt":"2026-12-31T23:59:60.000Z","updatedAt":"0000-01-01T00:00:00.000Z","releasedAt":"2026-13-01T00:00:00.000Z"}""",
        """{"createdAt":"2026-01-01T00:00:00.000z","updatedAt":"2026-01-01t00:00:00.000Z","releasedAt":"9999-12-31T23:59:59.999Z"}""",
        """{"createdAt":"2026-01-01T00:00:00,000Z","updatedAt":"2026-1-01T00:00:00.0000Z","releasedAt":"\u0032026-01-01T00:00:00.000Z"}""",
        """{"latest":"true"}""",
        """{"latest":false}""",
        """{"latest":1}""",
        """{"metadata":{"a":{"b":[1,2.50,-0,1E+2,"\u00e9",true,null,{}]},"\u0063":"x\/","dup":1,"dup":2,"é":"\ud83d\ude00"},"policies":[{"x":"\/"},[],"p"]}""",
        """{"metadata":[],"policies":{}}""",
        """{"metadata":"text","policies":1}""",
        """{"metadata":null,"policies":null}""",
        """{"extra":{"version":"inner","size":1},"version":"outer","more":[{"projectId":9}]}""",
        " {\n  \"version\" : \"1.0\" ,\n  \"metadata\" : { \"k\" : [ 1 , 2 ] }\n }\n ",
        """{"version":"a","version":"b"}""",
        """{"other":1,"other":2}""",
        """{"version":"a","ver\u0073ion":"b"}""",
        "[]",
        "\"text\"",
        "1",
        """{"displayName":"\ud800"}""",
        """{"version":"1"} x""",
        """{"version":"1",}""",
        """{"version":"1" /* comment */}""",
    };

    [Theory]
    [MemberData(nameof(Releases))]
    public void Write_AnyReleaseJson_IsWhatTheSerializerWritesForTheDto(string releaseJson)
    {
        for (var i = 0; i <= 6; i++)
        {
            AssertSame(Encoding.UTF8.GetBytes(releaseJson), i);
        }
    }

    [Fact]
    public void Write_InvalidUtf8_IsWhatTheDtoDoes()
    {
        foreach (var json in (byte[][])[[.. "{\"displayName\":\""u8, 0xFF, .. "\"}"u8], [.. "{\"metadata\":{\"k\":\""u8, 0xC3, .. "\"}}"u8]])
        {
            AssertSame(json, 0);
        }
    }

    [Fact]
    public void Length_IsWhatWriteWrites_AndIsMeasuredOncePerRow()
    {
        var row = Row(Encoding.UTF8.GetBytes("""{"version":"1.0","displayName":"é"}"""), 0, out _);
        var scratch = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(scratch, ReleaseStatusWriter.WriterOptions);

        var length = ReleaseStatusWriter.Length(row, null, writer, scratch);

        Assert.Equal(Written(row, null).Length, length);
        Assert.Equal(length, row.StatusLength);
        Assert.Equal(length, ReleaseStatusWriter.Length(row, null, writer, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void Layout_OfAReleaseAsGetAppWritesIt_CopiesEveryFieldAsStored_AndIsFoundOncePerRow()
    {
        var row = Row(Encoding.UTF8.GetBytes(GetAppRelease), 0, out _);

        var layout = ReleaseStatusWriter.LayoutOf(row);

        Assert.True(layout.IsPlain);
        for (var field = 0; field < ReleaseStatusWriter.Names.Length; field++)
        {
            Assert.True(layout.IsVerbatim(field), Encoding.UTF8.GetString(ReleaseStatusWriter.Names[field]));
        }

        Assert.Same(row.Layout, row.Layout);
        Assert.Same(row.Layout, ReleaseStatusWriter.LayoutOf(row).Spans);
    }

    [Fact]
    public void Layout_FieldsWrittenOtherwiseThanStored_AreNotCopied()
    {
        var row = Row(Encoding.UTF8.GetBytes("""{"version":"1.0","displayName":"caf\u00e9","projectId":"12","createdAt":"2026-01-03T04:05:06.789+02:00","metadata":{ "a" : 1 },"size":64}"""), 0, out _);

        var layout = ReleaseStatusWriter.LayoutOf(row);

        Assert.True(layout.IsPlain);
        Assert.True(layout.IsVerbatim(ReleaseStatusWriter.Version));
        Assert.True(layout.IsVerbatim(ReleaseStatusWriter.Size));
        foreach (var field in (int[])[ReleaseStatusWriter.DisplayName, ReleaseStatusWriter.ProjectId, ReleaseStatusWriter.CreatedAt, ReleaseStatusWriter.Metadata, ReleaseStatusWriter.Label])
        {
            Assert.False(layout.IsVerbatim(field), Encoding.UTF8.GetString(ReleaseStatusWriter.Names[field]));
        }
    }

    [Fact]
    public void Layout_OfAJsonTheScanLeavesToTheDto_IsNotPlain()
    {
        var row = Row(Encoding.UTF8.GetBytes("""{"version":"a","version":"b"}"""), 0, out _);

        Assert.False(ReleaseStatusWriter.LayoutOf(row).IsPlain);
    }

    private static void AssertSame(byte[] releaseJson, int position)
    {
        var row = Row(releaseJson, position, out var live);
        byte[]? expected = null;
        Exception? refused = null;
        try
        {
            expected = JsonSerializer.SerializeToUtf8Bytes(ReleaseStatusMapper.ToStatusDto(row.ToRecord(), live), AgentJson.Context.DeviceReleaseStatusDto);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            refused = e;
        }

        if (refused is not null)
        {
            Assert.ThrowsAny<Exception>(() => Written(row, live));
            return;
        }

        // Twice: the first finds the row's layout, the second writes from the one kept.
        for (var time = 1; time <= 2; time++)
        {
            var actual = Written(row, live);
            Assert.True(expected.AsSpan().SequenceEqual(actual),
                $"position {position}, write {time}, release {Encoding.UTF8.GetString(releaseJson)}\nexpected: {Encoding.UTF8.GetString(expected!)}\nactual:   {Encoding.UTF8.GetString(actual)}");
        }
    }

    private static byte[] Written(ReleaseRow row, LiveProgress? live)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, ReleaseStatusWriter.WriterOptions))
        {
            ReleaseStatusWriter.Write(writer, row, live);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static ReleaseRow Row(byte[] releaseJson, int position, out LiveProgress? live)
    {
        live = position switch { 1 => new LiveProgress(37.4567, 12), 3 => new LiveProgress(99.999, null), _ => null };
        var (where, change) = position switch
        {
            1 or 2 => (new ReleasePosition(ReleaseState.Delivery, DeliveryState.Download, DeliveryStatus.InProgress, null), (Progress: 12.5, Eta: (long?)30, Err: (string?)null)),
            3 => (new ReleasePosition(ReleaseState.Deploy, DeliveryState.Done, null, DeploymentStatus.Installing), (10.0, null, null)),
            4 => (new ReleasePosition(ReleaseState.Delivery, DeliveryState.Prepare, DeliveryStatus.Error, null), (0.0, 5, "exit \"3\" é 😀")),
            5 => (new ReleasePosition(ReleaseState.Installed, DeliveryState.Done, null, DeploymentStatus.Done), (100.0, null, null)),
            6 => (new ReleasePosition(ReleaseState.Deleted, null, null, null), (0.0, null, null)),
            _ => (new ReleasePosition(ReleaseState.Downloaded, DeliveryState.Done, DeliveryStatus.Done, null), (100.0, null, null)),
        };
        return new ReleaseRow(new ReleaseRecord("7.app@1.0.0", releaseJson, "[]"u8.ToArray(), null, where, At, At.AddMinutes(5))
        {
            Dependencies = position == 0 ? [] : ["3.lib@2.0.0", "30.x-\uFF21@1.0.0"],
            Progress = position == 6 ? null : change.Progress,
            Eta = change.Eta,
            ErrMsg = change.Err,
            DownloadDuration = position is 0 or 5 ? 3 : null,
            ArtsDirPath = position is 0 or 5 ? "/data/comps/7 \"app\" é" : null,
        });
    }
}
