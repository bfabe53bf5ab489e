namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>Paths inside the repository checkout the tests run from.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string SampleCatalog => Path.Combine(Root, "samples", "catalog");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GetApp.Agent.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GetApp.Agent.slnx not found above " + AppContext.BaseDirectory);
    }
}
