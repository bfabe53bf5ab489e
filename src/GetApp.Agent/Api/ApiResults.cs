using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Api;

/// <summary>The AppError answers shared by every API area.</summary>
internal static class ApiResults
{
    public static IResult Error(int statusCode, string name, string message) =>
        Results.Json(new AppError(message, name, statusCode), AgentJson.Context.AppError, statusCode: statusCode);

    public static IResult NotFound(string message) => Error(StatusCodes.Status404NotFound, "NotFound", message);

    public static IResult Conflict(string message) => Error(StatusCodes.Status409Conflict, "Conflict", message);

    public static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, "BadRequest", message);

    public static IResult UnknownRelease(string catalogId) => NotFound($"release '{catalogId}' is not known to this device");

    /// <summary>400 for an id that can never name a release (separators, control characters, absurd length), else null.</summary>
    public static IResult? CheckCatalogId(string catalogId) =>
        CatalogIdRules.IsWellFormed(catalogId, out var problem) ? null : BadRequest($"invalid catalog id: {problem}");

    /// <summary>Maps a refused or impossible move to 404/409; a successful one to the release's status.</summary>
    public static IResult FromMove(MoveResult result, ReleaseProgressBoard progress) => result.Outcome switch
    {
        MoveOutcome.Moved => Results.Json(ReleaseStatusMapper.ToStatusDto(result.Release!, progress.Get(result.Release!.CatalogId)), AgentJson.Context.DeviceReleaseStatusDto),
        MoveOutcome.NotFound => NotFound(result.Message),
        _ => Conflict(result.Message),
    };
}
