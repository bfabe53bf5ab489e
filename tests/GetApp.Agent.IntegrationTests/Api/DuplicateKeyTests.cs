using System.Net;
using System.Text;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

/// <summary>A JSON body that names a key twice is ambiguous: every route that takes one refuses it with a 400 naming the key.</summary>
public sealed class DuplicateKeyTests : IAsyncLifetime
{
    private TestAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await TestAgent.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    public static TheoryData<string, string, string, string> Bodies => new()
    {
        { "/api/v2/agent/configs", "/api/v2/agent/configs", """{"stallTimeoutSecs":2,"stallTimeoutSecs":2}""", "stallTimeoutSecs" },
        { "/api/v2/agent/configs", "/api/v2/agent/configs", """{"stallTimeoutSecs":2,"stallTimeoutSecs":3}""", "stallTimeoutSecs" },
        { "/api/v2/device/metadata", "/api/v2/device/metadata", """{"site":"a","site":"b"}""", "site" },
        { "/api/v2/device/metadata", "/api/v2/device/metadata", """{"inner":{"x":1,"x":2}}""", "x" },
        { "/api/v2/device/metadata", "/api/v2/device/metadata", """{"list":[{"y":1},{"y":1,"y":2}]}""", "y" },
        { "/api/v2/device/enrollment", "/api/v2/device/enrollment", """{"platform":"a","platform":"a"}""", "platform" },
        { "/api/v2/deploy/1.app@1.0.0", "/api/v2/deploy/1.app@1.0.0", """{"status":"Done","status":"Error"}""", "status" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Put_DuplicateKey_Is400AppErrorNamingTheKey_AndChangesNothing(string route, string readBack, string body, string key)
    {
        var beforeText = await ReadBackAsync(readBack);

        var response = await _agent.Client.PutAsync(route, new StringContent(body, Encoding.UTF8, "application/json"));

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"'{key}'", error.GetProperty("message").GetString());
        Assert.Contains("more than once", error.GetProperty("message").GetString());
        Assert.Equal(beforeText, await ReadBackAsync(readBack));
    }

    /// <summary>What the route stores, without what the agent measures afresh on each read (free disk space).</summary>
    private async Task<string> ReadBackAsync(string route)
    {
        var text = await (await _agent.Client.GetAsync(route)).Content.ReadAsStringAsync();
        return System.Text.Json.Nodes.JsonNode.Parse(text) is System.Text.Json.Nodes.JsonObject o && o.Remove("storageAvailable") ? o.ToJsonString() : text;
    }

    [Fact]
    public async Task Put_SameKeyInSiblingObjects_IsNotADuplicate()
    {
        var response = await _agent.Client.PutAsync("/api/v2/device/metadata",
            new StringContent("""{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
