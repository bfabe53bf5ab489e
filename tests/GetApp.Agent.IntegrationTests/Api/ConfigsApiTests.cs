using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

public class ConfigsApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonObject> GetAsync(TestAgent agent) =>
        JsonNode.Parse(await agent.Client.GetStringAsync("/api/v2/agent/configs"))!.AsObject();

    [Fact]
    public async Task Get_FreshAgent_AnswersEveryDeliverySettingWithItsDefault()
    {
        await using var agent = await TestAgent.StartAsync();
        var configs = await GetAsync(agent);

        Assert.Equal(1, (int)configs["maxParallelDeliveries"]!);
        Assert.Equal(30, (int)configs["deliveryTimeoutMins"]!);
        Assert.Equal(2, (int)configs["downloadRetryCount"]!);
        Assert.Equal(5, (int)configs["deliveryRetryDelaySecs"]!);
        Assert.Equal(60, (int)configs["stallTimeoutSecs"]!);
        Assert.Equal(0, (long)configs["deliveryStorageBufferBytes"]!);
        Assert.False((bool)configs["deliveryAutoTrigger"]!);
        Assert.Equal(2, (int)configs["queryStatusIntervalSec"]!);
    }

    [Fact]
    public async Task Put_PartialUpdate_ChangesOnlyTheGivenFieldsAndSurvivesRestart()
    {
        var agent = await TestAgent.StartAsync();
        try
        {
            using var response = await agent.Client.PutAsync("/api/v2/agent/configs", Json("""{"maxParallelDeliveries":3,"stallTimeoutSecs":15}"""));
            Assert.Equal(200, (int)response.StatusCode);
            var answered = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(3, (int)answered["maxParallelDeliveries"]!);
            Assert.Equal(2, (int)answered["downloadRetryCount"]!);

            agent = await agent.RestartAsync();
            var after = await GetAsync(agent);
            Assert.Equal(3, (int)after["maxParallelDeliveries"]!);
            Assert.Equal(15, (int)after["stallTimeoutSecs"]!);
            Assert.Equal(5, (int)after["deliveryRetryDelaySecs"]!);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task Put_InvalidValue_400NamingTheFieldAndNothingChanges()
    {
        await using var agent = await TestAgent.StartAsync();
        var before = (await GetAsync(agent)).ToJsonString();

        using var response = await agent.Client.PutAsync("/api/v2/agent/configs", Json("""{"downloadRetryCount":4,"maxParallelDeliveries":0}"""));

        Assert.Equal(400, (int)response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.AppError);
        Assert.Contains("maxParallelDeliveries", error!.Message);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(before, (await GetAsync(agent)).ToJsonString());
    }

    [Fact]
    public async Task Delete_Field_BackToDefault_UnknownField404()
    {
        await using var agent = await TestAgent.StartAsync();
        (await agent.Client.PutAsync("/api/v2/agent/configs", Json("""{"deliveryRetryDelaySecs":42}"""))).EnsureSuccessStatusCode();

        using var reset = await agent.Client.DeleteAsync("/api/v2/agent/configs/deliveryRetryDelaySecs");
        Assert.Equal(200, (int)reset.StatusCode);
        Assert.Equal(5, (int)(await GetAsync(agent))["deliveryRetryDelaySecs"]!);

        using var unknown = await agent.Client.DeleteAsync("/api/v2/agent/configs/noSuchSetting");
        Assert.Equal(404, (int)unknown.StatusCode);
        var error = await unknown.Content.ReadFromJsonAsync(AgentJsonContext.Default.AppError);
        Assert.Contains("noSuchSetting", error!.Message);
    }

    [Theory]
    [InlineData("deliveryStorageBufferBytes", "9223372036854775807", "between 0 and 1099511627776")]
    [InlineData("deliveryStorageBufferBytes", "1099511627777", "between 0 and 1099511627776")]
    [InlineData("deliveryStorageBufferBytes", "-1", "between 0 and 1099511627776")]
    [InlineData("deliveryStorageBufferBytes", "1e30", "a whole number")]
    [InlineData("maxParallelDeliveries", "2147483648", "between 1 and 16")]
    public async Task Put_NumberOutsideItsDocumentedRange_400NamingTheRangeAndNothingChanges(string name, string value, string expected)
    {
        await using var agent = await TestAgent.StartAsync();
        var before = (await GetAsync(agent)).ToJsonString();

        using var response = await agent.Client.PutAsync("/api/v2/agent/configs", Json($$"""{"{{name}}":{{value}}}"""));

        var error = await HttpAssert.AppErrorAsync(response, System.Net.HttpStatusCode.BadRequest);
        Assert.Contains($"'{name}' must be {expected}", error.GetProperty("message").GetString());
        Assert.Equal(before, (await GetAsync(agent)).ToJsonString());
    }

    [Fact]
    public async Task OpenApi_EveryNumericSetting_DocumentsTheRangeTheAgentEnforces()
    {
        await using var agent = await TestAgent.StartAsync();
        var document = JsonNode.Parse(await agent.Client.GetStringAsync("/api-docs/v2/openapi.json"))!;
        var properties = document["components"]!["schemas"]!["AgentConfigs"]!["properties"]!.AsObject();
        var configs = await GetAsync(agent);

        foreach (var name in Core.Settings.LiveSettings.Names)
        {
            Assert.True(properties.ContainsKey(name), $"{name} is not in the OpenAPI document");
            if (Core.Settings.SettingRules.RangeOf(name) is not { } range)
            {
                continue;
            }

            Assert.Equal("integer", (string?)properties[name]!["type"]);
            Assert.True(range.Max < long.MaxValue, $"{name} has no upper bound");
            Assert.Equal((range.Min, range.Max), ((long?)properties[name]!["minimum"], (long?)properties[name]!["maximum"]));
            Assert.InRange((long)configs[name]!, range.Min, range.Max);
        }
    }
}
