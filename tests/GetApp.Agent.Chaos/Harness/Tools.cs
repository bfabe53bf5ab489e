namespace GetApp.Agent.Chaos.Harness;

public static class Tools
{
    /// <summary>Whether <paramref name="name"/> is an executable on PATH.</summary>
    public static bool Has(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
}
