using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Storage;

public class ArtifactFilesTests
{
    private static ArtifactSpec Spec(string key, string url) => new() { ItemKey = key, Url = url };

    [Fact]
    public void Plan_NameThatAnEarlierRenameAlreadyTook_StillGetsItsOwnName()
    {
        var plan = ArtifactFiles.Plan([Spec("k1", "files/a"), Spec("k2", "files/2-a"), Spec("k3", "files/sub/a")]);

        Assert.Equal(3, plan.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal("a", plan["k1"]);
        Assert.Equal("2-a", plan["k2"]);
    }

    [Fact]
    public void Plan_ManyCollidingNamesAndCaseVariants_AllDistinctAndStable()
    {
        var specs = new List<ArtifactSpec>();
        var urls = new[] { "a", "A", "2-a", "3-a", "4-a", "3-A", "x/a", "y/a", "z/A", "5-a", "6-a", "a?v=1", "a#f", "https://h/a", "https://h/x/a?sig=1" };
        for (var i = 0; i < urls.Length; i++)
        {
            specs.Add(Spec($"k{i}", urls[i]));
        }

        var plan = ArtifactFiles.Plan(specs);

        Assert.Equal(urls.Length, plan.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(plan, ArtifactFiles.Plan(specs));
        Assert.All(plan.Values, name => Assert.Equal(name, FileSafeName.From(name)));
    }

    [Fact]
    public void Plan_NamesWithoutCollision_AreKeptAsBefore()
    {
        var plan = ArtifactFiles.Plan([Spec("k1", "files/install.sh"), Spec("k2", "files/app.tar"), Spec("k3", "files/other/install.sh")]);

        Assert.Equal(["install.sh", "app.tar", "2-install.sh"], [plan["k1"], plan["k2"], plan["k3"]]);
    }

    [Fact]
    public void Plan_OfTheMaskedSpecsStoredAtRest_GivesTheSameNames()
    {
        ArtifactSpec[] specs =
        [
            Spec("k1", "https://user:pw@s3.local/b/setup.sh?X-Amz-Signature=abc%2Fdef"),
            Spec("k2", "/api/files/setup.sh?sig=1"),
            Spec("k3", "ftp://u:p@h/dir/data.bin?x#y"),
            Spec("k4", "files/a b.bin"),
        ];

        Assert.Equal(ArtifactFiles.Plan(specs), ArtifactFiles.Plan([.. specs.Select(s => s.AtRest())]));
    }
}
