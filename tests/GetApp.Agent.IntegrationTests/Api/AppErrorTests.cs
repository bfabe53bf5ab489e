using System.Net;
using System.Text;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

/// <summary>Every non-2xx answer carries the AppError body, including the ones routing and Kestrel produce.</summary>
public sealed class AppErrorTests : IAsyncLifetime
{
    private TestAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await TestAgent.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task UnknownRoute_Is404AppError()
    {
        var error = await HttpAssert.AppErrorAsync(await _agent.Client.GetAsync("/api/v2/nothing-here"), HttpStatusCode.NotFound);
        Assert.Equal("NotFound", error.GetProperty("name").GetString());
    }

    [Fact]
    public async Task WrongMethod_Is405AppError()
    {
        var error = await HttpAssert.AppErrorAsync(await _agent.Client.DeleteAsync("/api/v2/device/offering"), HttpStatusCode.MethodNotAllowed);
        Assert.Equal("MethodNotAllowed", error.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("{\"deliveryAutoTrigger\": tru")]
    [InlineData("[1, 2]")]
    [InlineData("")]
    public async Task MalformedJsonBody_Is400AppError_AndChangesNothing(string body)
    {
        var before = await _agent.Client.GetStringAsync("/api/v2/agent/configs");

        var response = await _agent.Client.PutAsync("/api/v2/agent/configs", new StringContent(body, Encoding.UTF8, "application/json"));

        await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await _agent.Client.GetStringAsync("/api/v2/agent/configs"));
    }

    [Fact]
    public async Task OversizedBody_Is413AppError()
    {
        var huge = "{\"matomoSiteId\": \"" + new string('x', 2 * 1024 * 1024) + "\"}";

        // As curl does for large bodies, the client asks before sending it: the agent refuses from Content-Length alone, so
        // the 413 arrives before a byte is sent. (Without the question the agent still answers 413 and closes, but a client
        // still writing may see the broken pipe instead; RFC 9110 §15.5.14.) The client waits for the answer as long as it
        // takes on a busy machine: after its default 1 s it would send the body anyway.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) }) { BaseAddress = _agent.Client.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v2/agent/configs") { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        var response = await client.SendAsync(request);

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("PayloadTooLarge", error.GetProperty("name").GetString());
    }
}
