using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// The client verbs' view of a running agent: plain HTTP to its local API. API errors come back as
/// <see cref="AgentClientException"/> carrying the AppError, so the verbs print what the agent said.
/// </summary>
internal sealed class AgentClient(Uri baseAddress, string? secret) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public Uri BaseAddress => baseAddress;

    public string? Secret => secret;

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonNode?> PostAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, null, cancellationToken);

    public Task<JsonNode?> PutAsync(string path, JsonNode body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Put, path, body, cancellationToken);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    public static string Release(string catalogId) => Uri.EscapeDataString(catalogId);

    public static AgentClientException Unreachable(Uri baseAddress, string reason) =>
        new($"cannot reach the agent at {baseAddress}: {reason} (is `getapp-agent run` running? see --agent-url)", ExitCodes.Unreachable, "AgentUnreachable", 0);

    /// <summary>The AppError of a non-2xx answer, with a hint where the fix is the caller's (a 401: the device secret).</summary>
    public static AgentClientException FromAnswer(int statusCode, JsonNode? json)
    {
        var message = json?["message"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : $"HTTP {statusCode}";
        var name = json?["name"] is JsonValue n && n.TryGetValue<string>(out var nameText) ? nameText : "Error";
        if (statusCode == 401)
        {
            message += "; give the agent's device secret with --device-secret (or GETAPP_DEVICE_SECRET)";
        }

        return new AgentClientException($"{message} ({statusCode} {name})", ExitCodes.Failed, name, statusCode, message);
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (secret is not null)
        {
            request.Headers.Add("Device-Auth", secret);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(baseAddress, e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(baseAddress, $"no answer within {_http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonNode? json;
            try
            {
                json = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                json = null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw FromAnswer((int)response.StatusCode, json);
            }

            return json;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// A verb failed: the message is what to print, <see cref="ExitCode"/> what to exit with; <see cref="Name"/> and
/// <see cref="StatusCode"/> (0 when no HTTP answer came) form the AppError printed with <c>--json</c>.
/// </summary>
internal sealed class AgentClientException(string message, int exitCode, string name = "Error", int statusCode = 0, string? apiMessage = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public string Name { get; } = name;

    public int StatusCode { get; } = statusCode;

    /// <summary>The message alone (without the status in parentheses), for the JSON error.</summary>
    public string ApiMessage { get; } = apiMessage ?? message;

    public static AgentClientException Usage(string message) => new(message, ExitCodes.Failed, "UsageError");
}

/// <summary>The exit codes of the client verbs (README: "A CLI that scripts can trust").</summary>
internal static class ExitCodes
{
    /// <summary>Done; for <c>status</c>, the release is not in error.</summary>
    public const int Ok = 0;

    /// <summary>A usage error, or the agent refused the request (its AppError is printed).</summary>
    public const int Failed = 1;

    /// <summary>The agent cannot be reached.</summary>
    public const int Unreachable = 2;

    /// <summary><c>status</c>: the release is (or, with <c>--watch</c>, ended) in error, in delivery or in deploy.</summary>
    public const int ReleaseFailed = 3;

    /// <summary><c>status --watch</c>: the release stopped without finishing (paused or cancelled).</summary>
    public const int ReleaseStopped = 4;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Interrupted = 130;
}
