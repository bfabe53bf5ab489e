namespace GetApp.Agent.Tests.Repository;

/// <summary>
/// A user's clone has nothing beside it: no code, test, script or doc may read or cite a folder outside the
/// repository. This scans every file a clone would hold (what git tracks, plus what is being added) for such paths.
/// </summary>
public sealed class SelfContainedRepositoryTests
{
    // Built from parts so this file does not match its own search.
    private static readonly string[] OutsidePaths = [".." + "/shared", ".." + "\\shared", ".." + "/.library"];

    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { ".git", "bin", "obj", "artifacts", "node_modules", "getapp-data", "TestResults" };

    [Fact]
    public void NoFile_ReadsOrCites_AFolderOutsideTheRepository()
    {
        var root = FindRoot();
        var offenders = new List<string>();
        foreach (var file in Files(root))
        {
            var info = new FileInfo(file);
            if (info.Length > 4 * 1024 * 1024)
            {
                continue;
            }

            var text = File.ReadAllText(file);
            foreach (var outside in OutsidePaths)
            {
                if (text.Contains(outside, StringComparison.Ordinal))
                {
                    offenders.Add($"{Path.GetRelativePath(root, file)} mentions {outside}");
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    [Fact]
    public void ContractSchema_LivesInTheRepository()
    {
        Assert.True(File.Exists(Path.Combine(FindRoot(), "docs", "contracts", "device-release-status.schema.json")));
        Assert.True(File.Exists(Path.Combine(FindRoot(), "docs", "architecture.md")));
    }

    private static IEnumerable<string> Files(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            yield return file;
        }

        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            if (!SkippedFolders.Contains(Path.GetFileName(sub)) && (File.GetAttributes(sub) & FileAttributes.ReparsePoint) == 0)
            {
                foreach (var file in Files(sub))
                {
                    yield return file;
                }
            }
        }
    }

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
