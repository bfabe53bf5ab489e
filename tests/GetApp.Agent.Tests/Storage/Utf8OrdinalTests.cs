using System.Text;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Tests.Storage;

public class Utf8OrdinalTests
{
    [Fact]
    public void Compare_AnyTwoStrings_OrdersAsTheirUtf8Bytes()
    {
        // SQLite's BINARY collation compares UTF-8 bytes; the read model's list must come out in the same order.
        string[] pieces = ["", "a", "A", "z", "é", "\u00FF", "\u0800", "\uD7FF", "\uE000", "\uFF21", "\uFFFD", "\U00010000", "\U0001F600", "@", "."];
        var random = new Random(7);
        for (var n = 0; n < 20_000; n++)
        {
            var x = string.Concat(Enumerable.Range(0, random.Next(4)).Select(_ => pieces[random.Next(pieces.Length)]));
            var y = string.Concat(Enumerable.Range(0, random.Next(4)).Select(_ => pieces[random.Next(pieces.Length)]));
            var expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));
            Assert.True(expected == Math.Sign(Utf8Ordinal.Comparer.Compare(x, y)), $"'{x}' vs '{y}'");
        }
    }

    [Fact]
    public void Compare_PrivateUseAgainstEmoji_DiffersFromUtf16Order()
    {
        Assert.True(string.CompareOrdinal("\uFF21", "\U0001F600") > 0);
        Assert.True(Utf8Ordinal.Comparer.Compare("\uFF21", "\U0001F600") < 0);
    }
}
