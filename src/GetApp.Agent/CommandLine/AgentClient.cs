using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// The client verbs' view of a running agent: plain HTTP to its local API. API errors come back as
/// <see cref="AgentClientException"/> carrying the AppError message, so the verbs print what the agent said.
/// </summary>
internal sealed class AgentClient(Uri baseAddress, string? secret) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public Uri BaseAddress => baseAddress;

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonNode?> PostAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, null, cancellationToken);

    public Task<JsonNode?> PutAsync(string path, JsonNode body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Put, path, body, cancellationToken);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    public static string Release(string catalogId) => Uri.EscapeDataString(catalogId);

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
            throw new AgentClientException($"cannot reach the agent at {baseAddress}: {e.Message} (is `getapp-agent run` running? see --agent-url)", 2);
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
                var message = json?["message"]?.GetValue<string>() ?? $"HTTP {(int)response.StatusCode}";
                throw new AgentClientException($"{message} ({(int)response.StatusCode} {json?["name"]?.GetValue<string>()})".Replace(" )", ")", StringComparison.Ordinal), 1);
            }

            return json;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A verb failed: the message is what to print, the exit code 1 for an API error, 2 when the agent can't be reached.</summary>
internal sealed class AgentClientException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
