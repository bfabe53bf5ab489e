using System.Net;
using System.Net.Sockets;
using System.Text;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Api;

/// <summary>
/// What the agent answers to requests the HTTP server refuses before any of the agent's code runs (docs/api.md, "Errors
/// Kestrel answers"): a bare status without the AppError body (Kestrel offers no hook), the connection closed, nothing
/// changed, and the next request served. Where the agent can, it lets the request through to answer an AppError.
/// </summary>
public sealed class KestrelLimitsTests : IAsyncLifetime
{
    private TestAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await TestAgent.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    private async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _agent.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await reader.ReadToEndAsync(timeout.Token);
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "request line over 64 KiB", $"GET /api/v2/device/releases/{new string('a', 70 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "headers over 32 KiB", $"GET /api/v2/device/releases HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', 40 * 1024)}\r\n\r\n" },
        { "unknown HTTP version", "GET /api/v2/device/releases HTTP/9.9\r\nHost: x\r\n\r\n" },
        { "malformed request line", "GET\t/api/v2/device/releases\r\n\r\n" },
        { "NUL in the path", "GET /api/v2/device/releases/a%00b HTTP/1.1\r\nHost: x\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task RequestRefusedByKestrel_DocumentedStatus_ConnectionClosed_AgentStillServes(string what, string request)
    {
        var before = await _agent.Client.GetStringAsync("/api/v2/agent/configs");

        var answer = await SendRawAsync(request);

        var status = answer.Split(' ', 3)[1];
        Assert.True(Expected(what) == status, $"{what}: {answer.Split('\n')[0]}");
        Assert.Contains("Connection: close", answer);
        Assert.Contains("Content-Length: 0", answer);
        Assert.Equal(before, await _agent.Client.GetStringAsync("/api/v2/agent/configs"));
    }

    private static string Expected(string what) => what switch
    {
        "request line over 64 KiB" => "414",
        "headers over 32 KiB" => "431",
        "unknown HTTP version" => "505",
        _ => "400",
    };

    [Fact]
    public async Task LongCatalogIdUnderTheRequestLineLimit_ReachesTheAgent_AppError400()
    {
        var response = await _agent.Client.GetAsync($"/api/v2/device/releases/{new string('a', 20_000)}");

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("invalid catalog id", error.GetProperty("message").GetString());
    }
}
