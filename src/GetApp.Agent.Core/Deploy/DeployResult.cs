using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Deploy;

public enum DeployResultKind
{
    Ok,
    NotFound,
    BadRequest,
    Conflict,
}

/// <summary>The answer of a deploy command: the deploy record, or why nothing was changed.</summary>
public sealed record DeployResult(DeployResultKind Kind, string Message, DeployDto? Deploy)
{
    public static DeployResult Ok(DeployDto deploy) => new(DeployResultKind.Ok, "", deploy);
    public static DeployResult NotFound(string message) => new(DeployResultKind.NotFound, message, null);
    public static DeployResult BadRequest(string message) => new(DeployResultKind.BadRequest, message, null);
    public static DeployResult Conflict(string message) => new(DeployResultKind.Conflict, message, null);
}
