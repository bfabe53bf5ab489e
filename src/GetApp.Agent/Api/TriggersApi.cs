using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Api;

/// <summary><c>POST /api/v2/triggers/discover-component</c>: discovery now, answered with the V2 discovery shape.</summary>
internal static class TriggersApi
{
    public static IEndpointRouteBuilder MapTriggersApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v2/triggers/discover-component", DiscoverAsync);
        return app;
    }

    internal static async Task<IResult> DiscoverAsync(DiscoveryService discovery, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await discovery.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            return new DiscoveryAnswerResult(answer);
        }
        catch (InvalidCatalogException e)
        {
            return ApiResults.Error(StatusCodes.Status502BadGateway, "InvalidCatalog", e.Message);
        }
        catch (UpstreamException e)
        {
            return ApiResults.Error(StatusCodes.Status502BadGateway, "UpstreamError", e.Message);
        }
    }
}

/// <summary>
/// The discovery answer, written from the offers' stored JSON as it goes out (the bytes <c>Results.Json</c> wrote for
/// <c>DiscoveryResponseDto</c>, with neither a tree per release nor the whole answer in memory).
/// </summary>
internal sealed class DiscoveryAnswerResult(DiscoveryResult answer) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonBytesResult.ContentType;
        return answer.WriteJsonAsync(response.BodyWriter, httpContext.RequestAborted);
    }
}
