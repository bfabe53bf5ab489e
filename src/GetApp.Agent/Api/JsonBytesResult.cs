using System.Buffers;

namespace GetApp.Agent.Api;

/// <summary>
/// Answers with JSON the read model already holds: one document, or a JSON array of documents written one after
/// the other (the bytes <c>JsonSerializer</c> writes for the list, without building it). The length is known up front,
/// so the answer carries a <c>Content-Length</c>; the body goes out in chunks of about <see cref="JsonArrayBody.FlushBytes"/>, so
/// writing a long list holds no more than that beyond what the read model holds anyway.
/// </summary>
internal sealed class JsonBytesResult : IResult
{
    public const string ContentType = "application/json; charset=utf-8";
    private readonly ReadOnlyMemory<byte> _one;
    private readonly List<ReadOnlyMemory<byte>>? _items;

    private JsonBytesResult(ReadOnlyMemory<byte> one, List<ReadOnlyMemory<byte>>? items)
    {
        _one = one;
        _items = items;
    }

    public static JsonBytesResult Document(ReadOnlyMemory<byte> json) => new(json, null);

    /// <summary>A JSON array of the given documents (each already a complete JSON value).</summary>
    public static JsonBytesResult Array(List<ReadOnlyMemory<byte>> items) => new(default, items);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        if (_items is null)
        {
            response.ContentLength = _one.Length;
            await response.Body.WriteAsync(_one, httpContext.RequestAborted).ConfigureAwait(false);
            return;
        }

        long length = 2 + Math.Max(0, _items.Count - 1);
        foreach (var item in _items)
        {
            length += item.Length;
        }

        response.ContentLength = length;
        var array = new JsonArrayBody(response.BodyWriter);
        array.Start();
        foreach (var item in _items)
        {
            if (array.Add(item.Span) && !await array.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false))
            {
                return;
            }
        }

        array.End();
        await array.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }
}
