using GetApp.Agent.Core.Storage;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Storage;

public class FileSafeNameTests
{
    [Theory]
    [InlineData("7.demo-app@1.0.0")]
    [InlineData("install.sh")]
    public void From_SafeName_IsKept(string name) => Assert.Equal(name, FileSafeName.From(name));

    [Theory]
    [InlineData("../../x")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    [InlineData("42.config:dev-1@1.0.0")]
    [InlineData("מוצר@1.0")]
    [InlineData("")]
    public void From_HostileName_IsOneSafeSegment(string name)
    {
        var safe = FileSafeName.From(name);

        Assert.NotEmpty(safe);
        Assert.DoesNotContain('/', safe);
        Assert.DoesNotContain('\\', safe);
        Assert.DoesNotContain('\0', safe);
        Assert.NotEqual("..", safe);
        Assert.NotEqual(".", safe);
        Assert.Equal(safe, Path.GetFileName(Path.Combine("/base", safe)));
    }

    [Fact]
    public void From_DifferentNamesThatSanitizeAlike_StayDistinct() =>
        Assert.NotEqual(FileSafeName.From("a/b"), FileSafeName.From("a:b"));

    [Fact]
    public void From_VeryLongName_IsBounded() => Assert.True(FileSafeName.From(new string('x', 10_000)).Length <= 131);

    [Fact]
    public void ArtifactFiles_HostileNames_StayInsideTheFolderAndDistinct()
    {
        ArtifactSpec[] artifacts =
        [
            new() { ItemKey = "../../x", Url = "../../x" },
            new() { ItemKey = "k2", Url = "https://cdn/a/../../etc/passwd?sig=1" },
            new() { ItemKey = "k3", Url = "files/install.sh" },
            new() { ItemKey = "k4", Url = "other/install.sh" },
        ];

        var plan = ArtifactFiles.Plan(artifacts);

        Assert.Equal(4, plan.Values.Distinct().Count());
        foreach (var name in plan.Values)
        {
            Assert.Equal("/arts", Path.GetDirectoryName(Path.GetFullPath(Path.Combine("/arts", name))));
        }

        Assert.Equal("install.sh", plan["k3"]);
    }
}
