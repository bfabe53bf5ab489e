using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using GetApp.Agent.Core.Settings;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>
/// HTTP to the GetApp server: tries the configured URLs in order (starting with the one that answered last), sends the
/// device secret as <c>Device-Auth</c>, bounds the connect by the live <c>tcpTimeout</c> and each request by
/// <see cref="GetAppServerOptions.RequestTimeout"/>, and keeps the last error in <see cref="GetAppServerConnection"/>.
/// Its HttpClient is private: no other part of the agent can send the secret anywhere.
/// </summary>
public sealed partial class GetAppServerClient : IDisposable
{
    public const string DeviceAuthHeader = "Device-Auth";

    private readonly GetAppServerConnection _connection;
    private readonly GetAppServerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<GetAppServerClient> _logger;
    private readonly HttpClient _http;
    private string? _lastLoggedError;

    public GetAppServerClient(GetAppServerConnection connection, GetAppServerOptions options, LiveSettings settings, TimeProvider timeProvider, ILogger<GetAppServerClient> logger)
    {
        _connection = connection;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, cancellationToken) =>
            {
                // The live tcpTimeout applies to each new connection, so a change takes effect without a restart.
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, settings.Current.TcpTimeout)));
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, connectTimeout.Token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    socket.Dispose();
                    throw new HttpRequestException($"no TCP connection within tcpTimeout ({settings.Current.TcpTimeout} s)");
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("getapp-agent-dotnet", "1.0"));
    }

    /// <summary>
    /// Sends one request, failing over to the next URL on a network error, a timeout or a 5xx. A 4xx is the server's
    /// answer (no failover) and is returned; when no URL answers, throws <see cref="UpstreamException"/>.
    /// </summary>
    public async Task<ServerAnswer> SendAsync(string operation, HttpMethod method, string path, byte[]? jsonBody, CancellationToken cancellationToken)
    {
        var urls = Ordered();
        if (urls.Count == 0)
        {
            throw new UpstreamException("no GetApp server URL is configured (urlGetAppServerAvailable is empty)");
        }

        UpstreamError? last = null;
        foreach (var baseUrl in urls)
        {
            var url = baseUrl.TrimEnd('/') + path;
            using var request = new HttpRequestMessage(method, url);
            if (_options.DeviceSecret is { Length: > 0 } secret)
            {
                request.Headers.TryAddWithoutValidation(DeviceAuthHeader, secret);
            }

            if (jsonBody is not null)
            {
                request.Content = new ByteArrayContent(jsonBody);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status >= 500)
                {
                    last = Fail(baseUrl, operation, status, $"the server answered {status} {response.ReasonPhrase}: {Shorten(body)}");
                    continue;
                }

                if (status >= 400)
                {
                    Fail(baseUrl, operation, status, Describe4xx(response.StatusCode, response.ReasonPhrase, body));
                    return new ServerAnswer(status, body, baseUrl);
                }

                _connection.Succeeded(baseUrl, _timeProvider.GetUtcNow());
                if (_lastLoggedError is not null)
                {
                    _lastLoggedError = null;
                    LogReachable(baseUrl);
                }

                return new ServerAnswer(status, body, baseUrl);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = Fail(baseUrl, operation, null, $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException e)
            {
                last = Fail(baseUrl, operation, null, $"cannot reach the server: {e.Message}");
            }
        }

        _connection.Unreachable(last!);
        throw new UpstreamException($"GetApp server unreachable ({operation}): {last!.Message} [{last.Url}]");
    }

    /// <summary>Resolves an artifact URL that the server gave relative to itself (an A2A parent may) against the answering URL.</summary>
    public static Uri? ResolveArtifactUrl(string baseUrl, string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var absolute) ? absolute
        : Uri.TryCreate(new Uri(baseUrl.TrimEnd('/') + "/"), url, out var relative) ? relative : null;

    public void Dispose() => _http.Dispose();

    private List<string> Ordered()
    {
        var urls = _connection.Urls.ToList();
        if (_connection.ActiveUrl is { } active && urls.Remove(active))
        {
            urls.Insert(0, active);
        }

        return urls;
    }

    private UpstreamError Fail(string url, string operation, int? status, string message)
    {
        var error = new UpstreamError(_timeProvider.GetUtcNow(), url, operation, status, message);
        _connection.Failed(error);
        // The same failure repeated (server down for an hour) is logged once, then again only when it changes.
        var key = $"{url} {status} {message}";
        if (key != _lastLoggedError)
        {
            _lastLoggedError = key;
            LogFailed(operation, url, message);
        }

        return error;
    }

    private static string Describe4xx(HttpStatusCode code, string? reason, string body) => code switch
    {
        HttpStatusCode.Unauthorized => "the server refused the device secret (401 Unauthorized); check --device-secret / DEVICE_SECRET",
        HttpStatusCode.Forbidden => $"the server refused access (403 Forbidden): {Shorten(body)}",
        _ => $"the server answered {(int)code} {reason}: {Shorten(body)}",
    };

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "…";

    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "GetApp server {Operation} failed at {Url}: {Reason}")]
    private partial void LogFailed(string operation, string url, string reason);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "GetApp server reachable again at {Url}")]
    private partial void LogReachable(string url);
}

/// <summary>A server answer below 500: its status, body text, and the base URL that gave it.</summary>
public sealed record ServerAnswer(int StatusCode, string Body, string BaseUrl)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
