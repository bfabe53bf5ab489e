using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

/// <summary>
/// A JSON string may escape half of a UTF-16 surrogate pair (<c>"\ud800"</c>): the JSON is well formed but the text is not
/// Unicode, and reading it as a string throws. Found by the chaos suite's fuzzer (<c>PUT /api/v2/device/metadata</c>
/// answered 500): every route that takes a JSON body refuses it with a 400 saying where, and changes nothing.
/// </summary>
public sealed class UnpairedSurrogateTests : IAsyncLifetime
{
    private TestAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await TestAgent.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    public static TheoryData<string, string, string, string> Bodies => new()
    {
        { "PUT", "/api/v2/device/metadata", """{"site":"\ud800"}""", "$.site" },
        { "PUT", "/api/v2/device/metadata", """{"a":{"b":["ok","\udfff x"]}}""", "$.a.b[1]" },
        { "PUT", "/api/v2/device/metadata", """{"\ud83d":"key half of an emoji"}""", "$" },
        { "PUT", "/api/v2/agent/configs", """{"matomoSiteId":"\ud800"}""", "$.matomoSiteId" },
        { "PUT", "/api/v2/device/enrollment", """{"platform":"\udc00"}""", "$.platform" },
        { "PUT", "/api/v2/deploy/1.app@1.0.0", """{"status":"Done","messageLog":"\ud800"}""", "$.messageLog" },
        { "POST", "/api/v2/delivery/updateDownloadStatus", """{"catalogId":"\ud800"}""", "$.catalogId" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Body_WithAnUnpairedSurrogateEscape_Is400AppErrorSayingWhere_AndChangesNothing(string method, string route, string body, string path)
    {
        var before = await StoredAsync();

        using var request = new HttpRequestMessage(new HttpMethod(method), route) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var response = await _agent.Client.SendAsync(request);

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadRequest);
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("surrogate", message);
        Assert.Contains($"at {path}", message);
        Assert.Equal(before, await StoredAsync());
    }

    /// <summary>The settings, the metadata and the enrollment, without what the agent measures afresh on each read (free disk space).</summary>
    private async Task<string> StoredAsync()
    {
        var parts = new List<string>();
        foreach (var route in new[] { "/api/v2/agent/configs", "/api/v2/device/metadata", "/api/v2/device/enrollment" })
        {
            var node = JsonNode.Parse(await _agent.Client.GetStringAsync(route))!.AsObject();
            node.Remove("storageAvailable");
            parts.Add(node.ToJsonString());
        }

        return string.Join('\n', parts);
    }

    [Fact]
    public async Task Body_WithAPairedSurrogateEscape_IsAccepted()
    {
        var response = await _agent.Client.PutAsync("/api/v2/device/metadata",
            new StringContent("""{"emoji":"\ud83d\udca3"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = JsonNode.Parse(await _agent.Client.GetStringAsync("/api/v2/device/metadata"))!;
        Assert.Equal("💣", stored["emoji"]!.GetValue<string>());
    }
}
