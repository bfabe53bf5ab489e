using System.Text;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Tests.Contracts;

public class JsonUnreadableStringsTests
{
    [Theory]
    [InlineData("""{"a":"\ud800"}""", "$.a")]
    [InlineData("""{"a":"x\udfffy"}""", "$.a")]
    [InlineData("""{"a":{"b":["ok","\ud83d"]}}""", "$.a.b[1]")]
    [InlineData("""["\udc00"]""", "$[0]")]
    [InlineData("\"\\ud800\"", "$")]
    [InlineData("""{"a":{"\ud800":1}}""", "$.a")]
    [InlineData("""{"a":"\udca3\ud83d"}""", "$.a")]
    public void Find_UnpairedSurrogateEscape_SaysWhere(string json, string path) =>
        Assert.Equal(path, JsonUnreadableStrings.Find(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Find_BytesThatAreNotUtf8_SaysWhere() =>
        Assert.Equal("$.a", JsonUnreadableStrings.Find([.. "{\"a\":\""u8, 0xC3, 0x28, .. "\"}"u8]));

    [Theory]
    [InlineData("""{"a":"\ud83d\udca3","b":"plain","c":["\u00e9",1,null]}""")]
    [InlineData("""{"💣":"💣"}""")]
    [InlineData("[]")]
    [InlineData("42")]
    public void Find_EveryStringIsText_IsNull(string json) =>
        Assert.Null(JsonUnreadableStrings.Find(Encoding.UTF8.GetBytes(json)));
}
