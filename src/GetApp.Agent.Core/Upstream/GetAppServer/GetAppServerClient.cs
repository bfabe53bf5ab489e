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
/// Every answer's <c>Date</c> header feeds the <see cref="ServerClock"/>.
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
    private readonly ServerClock? _clock;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _loggedRedirects = new(StringComparer.Ordinal);
    private string? _lastLoggedError;

    /// <summary>At most this many redirects are followed for one request.</summary>
    public const int MaxRedirects = 5;

    public GetAppServerClient(GetAppServerConnection connection, GetAppServerOptions options, LiveSettings settings, TimeProvider timeProvider,
        ILogger<GetAppServerClient> logger, ServerClock? clock = null)
    {
        _connection = connection;
        _clock = clock;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            // Redirects are handled here (RedirectRule): HttpClient's own would turn a POST into a GET (losing a report)
            // and follow to any host.
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
        if (options.ServerCertificateValidation is { } validation)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validation;
        }

        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("getapp-agent-dotnet", "1.0"));
    }

    /// <summary>
    /// Sends one request, failing over to the next URL on a network error, a timeout, a 5xx or a redirect it will not
    /// follow. A 4xx is the server's answer (no failover) and is returned; when no URL answers, throws
    /// <see cref="UpstreamException"/>. A 3xx is never an answer: see <see cref="RedirectRule"/> for which are followed.
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
            var configured = new Uri(baseUrl.TrimEnd('/') + path);
            var target = configured;
            // Device-Auth goes to the configured server's host only; once a redirect leaves it, never again in this request.
            var sendSecret = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                for (var hop = 0; ; hop++)
                {
                    using var request = BuildRequest(method, target, jsonBody, sendSecret);
                    var sentAt = _timeProvider.GetUtcNow();
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                    // Only the configured server's own clock counts (another host's may differ).
                    if (sendSecret && response.Headers.Date is { } serverDate)
                    {
                        _clock?.Observe(sentAt, _timeProvider.GetUtcNow(), serverDate);
                    }

                    var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    var status = (int)response.StatusCode;
                    if (status is >= 300 and < 400)
                    {
                        var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(target, l)) : null;
                        var rule = RedirectRule.For(status, target, location);
                        if (rule.Follow && hop < MaxRedirects)
                        {
                            if (rule.UpgradesToHttps)
                            {
                                LogUpgradeOnce(baseUrl, location!);
                            }

                            if (sendSecret && !RedirectRule.SameHost(configured, location!))
                            {
                                sendSecret = false;
                                LogSecretWithheldOnce(baseUrl, location!);
                            }

                            target = location!;
                            continue;
                        }

                        var why = hop >= MaxRedirects ? $"more than {MaxRedirects} redirects" : rule.Refusal;
                        last = Fail(baseUrl, operation, status,
                            $"the server answered {status} {response.ReasonPhrase} to {Describe(target)}, redirecting to {(location is null ? "nowhere" : Describe(location))}: {why}; a redirect is not an answer, nothing was accepted");
                        break;
                    }

                    if (status >= 500)
                    {
                        last = Fail(baseUrl, operation, status, $"the server answered {status} {response.ReasonPhrase}: {Shorten(body)}");
                        break;
                    }

                    if (status >= 400)
                    {
                        Fail(baseUrl, operation, status, sendSecret
                            ? Describe4xx(response.StatusCode, response.ReasonPhrase, body)
                            : $"{Describe(target)}, where the server redirected and where the device secret is not sent, answered {status} {response.ReasonPhrase}: {Shorten(body)}");
                        return new ServerAnswer(status, body, baseUrl);
                    }

                    _connection.Succeeded(baseUrl, _timeProvider.GetUtcNow());
                    if (_lastLoggedError is not null)
                    {
                        _lastLoggedError = null;
                        LogReachable(SafeUrl.Masked(baseUrl));
                    }

                    return new ServerAnswer(status, body, baseUrl);
                }
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

    /// <summary>
    /// Opens a long-lived GET (an event stream, such as a parent's command channel, docs/fleet.md) on the first URL that
    /// answers, with the device secret. Returns the open response (the caller reads and disposes it) on 2xx, or the
    /// server's answer on 4xx (<see cref="StreamAnswer.Refused"/>); a redirect is not followed. Throws
    /// <see cref="UpstreamException"/> when no URL answers within the request timeout.
    /// </summary>
    public async Task<StreamAnswer> OpenStreamAsync(string operation, string path, CancellationToken cancellationToken)
    {
        var urls = Ordered();
        if (urls.Count == 0)
        {
            throw new UpstreamException("no GetApp server URL is configured (urlGetAppServerAvailable is empty)");
        }

        UpstreamError? last = null;
        foreach (var baseUrl in urls)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            HttpResponseMessage? response = null;
            try
            {
                using var request = BuildRequest(HttpMethod.Get, new Uri(baseUrl.TrimEnd('/') + path), null, sendSecret: true);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    _connection.Succeeded(baseUrl, _timeProvider.GetUtcNow());
                    var open = new StreamAnswer(response, null, baseUrl);
                    response = null;
                    return open;
                }

                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (status is >= 400 and < 500)
                {
                    return new StreamAnswer(null, new ServerAnswer(status, body, baseUrl), baseUrl);
                }

                last = Fail(baseUrl, operation, status, $"the server answered {status} {response.ReasonPhrase}{(status < 400 ? " (a redirect is not followed for a stream)" : "")}: {Shorten(body)}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = Fail(baseUrl, operation, null, $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException e)
            {
                last = Fail(baseUrl, operation, null, $"cannot reach the server: {e.Message}");
            }
            finally
            {
                response?.Dispose();
            }
        }

        _connection.Unreachable(last!);
        throw new UpstreamException($"GetApp server unreachable ({operation}): {last!.Message} [{last.Url}]");
    }

    private HttpRequestMessage BuildRequest(HttpMethod method, Uri url, byte[]? jsonBody, bool sendSecret)
    {
        var request = new HttpRequestMessage(method, url);
        if (sendSecret && _options.DeviceSecret is { Length: > 0 } secret)
        {
            request.Headers.TryAddWithoutValidation(DeviceAuthHeader, secret);
        }

        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(jsonBody);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    /// <summary>A URL for messages: scheme, host, port and path (a query may carry credentials).</summary>
    private static string Describe(Uri url) => SafeUrl.Masked(url.GetLeftPart(UriPartial.Path));

    private void LogUpgradeOnce(string baseUrl, Uri location)
    {
        var https = $"https://{location.Authority}{new Uri(baseUrl.TrimEnd('/') + "/").AbsolutePath.TrimEnd('/')}";
        if (_loggedRedirects.TryAdd("upgrade " + baseUrl, 0))
        {
            LogHttpsUpgrade(SafeUrl.Masked(baseUrl), SafeUrl.Masked(https));
        }
    }

    private void LogSecretWithheldOnce(string baseUrl, Uri location)
    {
        if (_loggedRedirects.TryAdd("host " + baseUrl + " " + location.Authority, 0))
        {
            LogSecretWithheld(SafeUrl.Masked(baseUrl), location.Authority);
        }
    }

    /// <summary>
    /// Resolves an artifact URL that the server gave relative to itself (<c>/api/...</c>, as an A2A parent may) against the
    /// URL that answered. A URL with a scheme stays as it is; one starting with '/' is a path on the server, never the
    /// local file path .NET would read it as on Unix (<c>file:///api/...</c>).
    /// </summary>
    public static Uri? ResolveArtifactUrl(string baseUrl, string url)
    {
        if (!url.StartsWith('/') && !url.StartsWith('\\') && Uri.TryCreate(url, UriKind.Absolute, out var absolute))
        {
            return absolute;
        }

        return Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var server)
            && Uri.TryCreate(url, UriKind.Relative, out var path)
            && Uri.TryCreate(server, path, out var resolved) ? resolved : null;
    }

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
        // Server URLs are shown and logged masked too: one configured with user info must not put it in a log line.
        url = SafeUrl.Masked(url);
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

    [LoggerMessage(EventId = 4300, Level = LogLevel.Warning,
        Message = "The GetApp server URL {Url} redirects to https; requests follow the redirect, but configure {HttpsUrl} as the server URL (--upstream, GETAPP_UPSTREAM or BASE_URL) to save the extra round trip")]
    private partial void LogHttpsUpgrade(string url, string httpsUrl);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning,
        Message = "The GetApp server at {Url} redirected a request to another host, {Host}; it is followed without Device-Auth (the device secret is sent to the configured server only)")]
    private partial void LogSecretWithheld(string url, string host);
}

/// <summary>An opened stream (<see cref="Response"/>, to read and dispose), or the server's 4xx answer.</summary>
public sealed record StreamAnswer(HttpResponseMessage? Response, ServerAnswer? Refused, string BaseUrl);

/// <summary>A server answer below 500: its status, body text, and the base URL that gave it.</summary>
public sealed record ServerAnswer(int StatusCode, string Body, string BaseUrl)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
