using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Settings;

namespace GetApp.Agent.Api;

/// <summary>
/// Live settings (GetApp Agent API V12–V14): <c>GET</c> all, <c>PUT</c> a partial update (all-or-nothing, 400 naming
/// the first bad field), <c>DELETE /{field}</c> back to its default.
/// </summary>
internal static class ConfigsApi
{
    public static IEndpointRouteBuilder MapConfigsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/agent/configs", (LiveSettings settings) => Ok(settings));
        app.MapPut("/api/v2/agent/configs", UpdateAsync);
        app.MapDelete("/api/v2/agent/configs/{field}", ResetAsync);
        return app;
    }

    internal static async Task<IResult> UpdateAsync(HttpRequest request, LiveSettings settings, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var problem = await settings.UpdateAsync(body!, cancellationToken).ConfigureAwait(false);
        return problem is null ? Ok(settings) : ApiResults.BadRequest($"invalid setting: {problem}");
    }

    internal static async Task<IResult> ResetAsync(string field, LiveSettings settings, CancellationToken cancellationToken) =>
        await settings.ResetAsync(field, cancellationToken).ConfigureAwait(false)
            ? Ok(settings)
            : ApiResults.NotFound($"'{field}' is not a setting (known: {string.Join(", ", LiveSettings.Names)})");

    private static IResult Ok(LiveSettings settings) => Results.Json(settings.Current, AgentJson.Context.AgentSettings);
}
