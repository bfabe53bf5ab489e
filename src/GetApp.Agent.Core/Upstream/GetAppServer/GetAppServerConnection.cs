namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>
/// What the agent knows about its link to the GetApp server right now: the URL in use, the last success and the last
/// error (with time and URL). Shown by <c>GET /api/v2/device</c> so an operator sees why the device is not talking.
/// </summary>
public sealed class GetAppServerConnection
{
    private readonly Lock _lock = new();
    private string? _activeUrl;
    private DateTimeOffset? _lastSuccessAt;
    private UpstreamError? _lastError;

    public GetAppServerConnection(IReadOnlyList<string> urls)
    {
        Urls = urls;
    }

    /// <summary>
    /// Raised after a request: true when a server answered, false with the last error when no URL answered at all.
    /// Handlers must be quick (the upstream monitor only compares with the state it holds).
    /// </summary>
    public event Action<bool, UpstreamError?>? Reached;

    /// <summary>The configured server base URLs, in the order they are tried.</summary>
    public IReadOnlyList<string> Urls { get; private set; }

    public GetAppServerSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new GetAppServerSnapshot(_activeUrl, _lastSuccessAt, _lastError);
        }
    }

    /// <summary>The URL that answered last (tried first next time), or null before any answer.</summary>
    public string? ActiveUrl
    {
        get
        {
            lock (_lock)
            {
                return _activeUrl;
            }
        }
    }

    /// <summary>Replaces the URL list (enrollment <c>urlGetAppServerAvailable</c> changed).</summary>
    public void SetUrls(IReadOnlyList<string> urls)
    {
        lock (_lock)
        {
            Urls = urls;
            if (_activeUrl is not null && !urls.Contains(_activeUrl))
            {
                _activeUrl = null;
            }
        }
    }

    internal void Succeeded(string url, DateTimeOffset at)
    {
        lock (_lock)
        {
            _activeUrl = url;
            _lastSuccessAt = at;
            _lastError = null;
        }

        Reached?.Invoke(true, null);
    }

    /// <summary>No configured URL answered the request (network errors, timeouts, 5xx).</summary>
    internal void Unreachable(UpstreamError last) => Reached?.Invoke(false, last);

    internal void Failed(UpstreamError error)
    {
        lock (_lock)
        {
            _lastError = error;
        }
    }
}

/// <summary>The link's state at one moment.</summary>
public sealed record GetAppServerSnapshot(string? ActiveUrl, DateTimeOffset? LastSuccessAt, UpstreamError? LastError);

/// <summary>The last failure talking to the server: when, where, what (<c>statusCode</c> null for a network failure).</summary>
public sealed record UpstreamError(DateTimeOffset At, string Url, string Operation, int? StatusCode, string Message);
