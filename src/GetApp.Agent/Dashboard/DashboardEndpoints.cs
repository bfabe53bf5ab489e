using Microsoft.Net.Http.Headers;

namespace GetApp.Agent.Dashboard;

/// <summary>
/// Serves the built-in dashboard (docs/dashboard.md): the page at <c>/</c>, its scripts and styles under
/// <c>/dashboard/</c>, all from the executable. Revalidated on every load (<c>no-cache</c> + ETag, so an upgraded agent
/// is never shown with an old script), and locked to the agent's own origin by a Content-Security-Policy: the page
/// can fetch nothing from anywhere else, which also keeps a field device with no internet from waiting on a font.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>Only the agent itself: no inline script, no other host, no framing.</summary>
    internal const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        // The files are read on the first request, not at start: an agent nobody looks at pays nothing for them.
        app.MapMethods("/", GetAndHead, (HttpContext context) => ServeAsync(context, DashboardAssets.Embedded.Find(DashboardAssets.IndexName)))
            .WithMetadata(DashboardRoute.Instance);
        app.MapMethods("/dashboard/{**path}", GetAndHead, (HttpContext context, string? path) =>
                ServeAsync(context, path is null || path == DashboardAssets.IndexName ? null : DashboardAssets.Embedded.Find(path)))
            .WithMetadata(DashboardRoute.Instance);
        return app;
    }

    internal static Task ServeAsync(HttpContext context, DashboardAsset? asset)
    {
        var response = context.Response;
        if (asset is null)
        {
            // No such file: the AppError 404 of every unknown path (status code pages).
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        var headers = response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (Matches(context.Request.Headers.IfNoneMatch, asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    /// <summary>RFC 9110 §13.1.2: weak comparison, a list of tags, or <c>*</c>.</summary>
    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var own = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(own, useStrongComparison: false));
    }
}
