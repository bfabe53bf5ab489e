using System.Text.Json.Nodes;
using GetApp.Agent.Core.Settings;

namespace GetApp.Agent.Tests.Settings;

public class SettingRulesTests
{
    [Fact]
    public void Check_IntegerBuiltInCode_IsAcceptedLikeAParsedOne()
    {
        Assert.Null(SettingRules.Check("deployTimeoutSec", JsonValue.Create(2)));
        Assert.Null(SettingRules.Check("deployTimeoutSec", JsonValue.Create(2L)));
        Assert.Null(SettingRules.Check("deployTimeoutSec", JsonNode.Parse("2")));
    }

    [Theory]
    [InlineData("2.5", "'deployTimeoutSec' must be a whole number")]
    [InlineData("\"2\"", "'deployTimeoutSec' must be a whole number")]
    [InlineData("0", "'deployTimeoutSec' must be between 1 and 604800")]
    [InlineData("1e3", "'deployTimeoutSec' must be a whole number")]
    public void Check_BadInteger_NamesTheFieldAndTheRule(string json, string expected) =>
        Assert.Equal(expected, SettingRules.Check("deployTimeoutSec", JsonNode.Parse(json)));

    [Fact]
    public void Check_UnknownField_ListsTheKnownOnes() =>
        Assert.StartsWith("'nope' is not a setting (known: tcpTimeout,", SettingRules.Check("nope", JsonValue.Create(1)));

    [Theory]
    [InlineData("matomoServerUrl", "\"ftp://x\"", "'matomoServerUrl' must be an http(s) URL or empty")]
    [InlineData("deliveryAutoTrigger", "1", "'deliveryAutoTrigger' must be true or false")]
    public void Check_WrongType_IsRefused(string name, string json, string expected) =>
        Assert.Equal(expected, SettingRules.Check(name, JsonNode.Parse(json)));
}
