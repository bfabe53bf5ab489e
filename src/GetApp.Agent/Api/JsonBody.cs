using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Api;

/// <summary>
/// Reads request bodies with errors a person can act on (malformed JSON with its position, wrong top-level type, a key
/// named twice), as an AppError instead of an exception. Every route that takes a JSON body reads it here.
/// </summary>
internal static class JsonBody
{
    public static async Task<(JsonObject? Body, IResult? Error)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (bytes, error) = await ReadCheckedAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        try
        {
            var node = JsonNode.Parse(bytes.Span);
            return node is JsonObject o ? (o, null) : (null, ApiResults.BadRequest("The request body must be a JSON object"));
        }
        catch (JsonException e)
        {
            return (null, ApiResults.BadRequest($"The request body is not valid JSON: {e.Message}"));
        }
    }

    public static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        var (bytes, error) = await ReadCheckedAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        try
        {
            var body = JsonSerializer.Deserialize(bytes.Span, typeInfo);
            return body is null ? (null, ApiResults.BadRequest("The request body is empty or null")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, ApiResults.BadRequest($"The request body is not valid JSON for this endpoint: {e.Message}"));
        }
    }

    /// <summary>
    /// The whole body (Kestrel bounds it by <c>MaxRequestBodySize</c>, 413 beyond), refused when malformed, when a string
    /// is not text (an unpaired surrogate escape: reading it would throw), or when an object names a key twice: which of
    /// the two values would win is a guess, so none is taken.
    /// </summary>
    private static async Task<(ReadOnlyMemory<byte> Bytes, IResult? Error)> ReadCheckedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        var bytes = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        try
        {
            if (JsonUnreadableStrings.Find(bytes.Span) is { } where)
            {
                return (default, ApiResults.BadRequest(
                    $"The request body holds a string that is not text at {where}: an unpaired UTF-16 surrogate escape (such as \\ud800) or bytes that are not UTF-8; escape surrogates in pairs"));
            }

            if (JsonDuplicateKeys.Find(bytes.Span) is { } duplicate)
            {
                return (default, ApiResults.BadRequest(
                    $"The request body names '{duplicate.Key}' more than once in the same object (at {duplicate.Path}); give each key once"));
            }
        }
        catch (JsonException e)
        {
            return (default, ApiResults.BadRequest($"The request body is not valid JSON: {e.Message}"));
        }

        return (bytes, null);
    }
}
