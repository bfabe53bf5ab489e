namespace GetApp.Agent.Core.Releases;

/// <summary>
/// What a catalog id may look like. GetApp ids are <c>projectId.projectName@version</c>, and project names may hold
/// dots, dashes, underscores, colons and non-ASCII letters; an id that could never be valid (separators, control
/// characters, dot segments, absurd length) is refused before it reaches the store or the file system.
/// </summary>
public static class CatalogIdRules
{
    public const int MaxLength = 256;

    public static bool IsWellFormed(string? catalogId, out string problem)
    {
        problem = catalogId switch
        {
            null or "" => "the catalog id is empty",
            { Length: > MaxLength } => $"the catalog id is longer than {MaxLength} characters",
            "." or ".." => "the catalog id is a dot segment",
            _ when catalogId.Any(c => char.IsControl(c) || c is '/' or '\\') => "the catalog id contains a path separator or a control character",
            _ when catalogId.Any(char.IsWhiteSpace) => "the catalog id contains white space",
            _ => "",
        };
        return problem.Length == 0;
    }
}
