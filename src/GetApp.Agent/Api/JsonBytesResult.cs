namespace GetApp.Agent.Api;

/// <summary>
/// Answers with one JSON document the read model already holds (a release's rendered status), with its
/// <c>Content-Length</c>. Lists are written item by item from the rows instead (<see cref="ReleaseListResult"/>,
/// <see cref="JsonArrayBody"/>), so no rendered copy of each is kept.
/// </summary>
internal sealed class JsonBytesResult : IResult
{
    public const string ContentType = "application/json; charset=utf-8";
    private readonly ReadOnlyMemory<byte> _json;

    private JsonBytesResult(ReadOnlyMemory<byte> json) => _json = json;

    public static JsonBytesResult Document(ReadOnlyMemory<byte> json) => new(json);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = _json.Length;
        await response.Body.WriteAsync(_json, httpContext.RequestAborted).ConfigureAwait(false);
    }
}
