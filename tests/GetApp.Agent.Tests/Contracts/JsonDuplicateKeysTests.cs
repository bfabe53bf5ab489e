using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Tests.Contracts;

public class JsonDuplicateKeysTests
{
    [Theory]
    [InlineData("""{"a":1,"a":1}""", "a", "$")]
    [InlineData("""{"a":{"b":1,"c":2,"b":3}}""", "b", "$.a")]
    [InlineData("""[1,{"x":1},{"y":1,"y":2}]""", "y", "$[2]")]
    [InlineData("""{"list":[{"y":1},{"y":1,"y":2}]}""", "y", "$.list[1]")]
    [InlineData("""{"a":[[],[{"k":1,"k":1}]]}""", "k", "$.a[1][0]")]
    [InlineData("""{"\u0061":1,"a":2}""", "a", "$")]
    public void Find_RepeatedKey_NamesItAndWhere(string json, string key, string path) =>
        Assert.Equal((key, path), JsonDuplicateKeys.Find(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}""")]
    [InlineData("""{"A":1,"a":2}""")]
    [InlineData("[]")]
    [InlineData("42")]
    public void Find_EachKeyOncePerObject_IsNull(string json) =>
        Assert.Null(JsonDuplicateKeys.Find(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"a":""")]
    [InlineData("")]
    public void Find_Malformed_ThrowsJsonException(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonDuplicateKeys.Find(Encoding.UTF8.GetBytes(json)));
}
