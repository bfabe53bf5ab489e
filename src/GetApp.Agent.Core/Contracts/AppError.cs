namespace GetApp.Agent.Core.Contracts;

/// <summary>The body of every non-2xx answer of the local API.</summary>
public sealed record AppError(string Message, string Name, int StatusCode);
