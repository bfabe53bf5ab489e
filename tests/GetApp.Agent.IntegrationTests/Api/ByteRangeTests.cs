using GetApp.Agent.Api;

namespace GetApp.Agent.IntegrationTests.Api;

public class ByteRangeTests
{
    private const string ETag = "\"abc-64\"";
    private static readonly DateTimeOffset Modified = new(2026, 6, 1, 12, 0, 0, 500, TimeSpan.Zero);

    [Theory]
    [InlineData(null, "Full", 0, 100)]
    [InlineData("bytes=0-9", "Partial", 0, 10)]
    [InlineData("bytes=90-", "Partial", 90, 10)]
    [InlineData("bytes=90-500", "Partial", 90, 10)]
    [InlineData("bytes=-30", "Partial", 70, 30)]
    [InlineData("bytes=-300", "Partial", 0, 100)]
    [InlineData("bytes=100-", "Unsatisfiable", 0, 0)]
    [InlineData("bytes=-0", "Unsatisfiable", 0, 0)]
    [InlineData("bytes=5-1", "Full", 0, 100)]
    [InlineData("bytes=0-1,4-5", "Full", 0, 100)]
    [InlineData("items=0-1", "Full", 0, 100)]
    [InlineData("bytes=x-1", "Full", 0, 100)]
    public void Range_IsReadAsRfc9110Says(string? range, string kind, long start, long length) =>
        Assert.Equal(new ByteRange(Enum.Parse<ByteRangeKind>(kind), start, length), ByteRange.Select(range, null, ETag, Modified, 100));

    [Theory]
    [InlineData(ETag, true)]
    [InlineData("\"other\"", false)]
    [InlineData("W/\"abc-64\"", false)]
    [InlineData("Mon, 01 Jun 2026 12:00:00 GMT", true)]
    [InlineData("Mon, 01 Jun 2026 11:59:59 GMT", false)]
    [InlineData("garbage", false)]
    public void IfRange_HonoursTheRangeOnlyForTheSameFile(string ifRange, bool honoured) =>
        Assert.Equal(honoured ? ByteRangeKind.Partial : ByteRangeKind.Full, ByteRange.Select("bytes=10-", ifRange, ETag, Modified, 100).Kind);
}
