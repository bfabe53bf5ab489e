namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// GetApp's <c>DeployMessageDto</c>, the body of <c>PUT /api/v2/deploy/{catalog_id}</c> sent by installers. <see cref="Status"/>
/// is read as text so that the GetApp manual's words (<c>Running</c>, <c>Installed</c>, <c>Failed</c>) can be accepted.
/// </summary>
public sealed record DeployMessageDto(string? Status, int? Progress, string? MessageLog, long? EstimateTime, DateTimeOffset? EventTime);
