using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace GetApp.Agent.Api;

/// <summary>
/// Reads request bodies with errors a person can act on (malformed JSON with its position, wrong top-level type),
/// as an AppError instead of an exception.
/// </summary>
internal static class JsonBody
{
    public static async Task<(JsonObject? Body, IResult? Error)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
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
        try
        {
            var body = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, cancellationToken).ConfigureAwait(false);
            return body is null ? (null, ApiResults.BadRequest("The request body is empty or null")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, ApiResults.BadRequest($"The request body is not valid JSON for this endpoint: {e.Message}"));
        }
    }
}
