using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Tests.Storage;

public sealed class RealPathTests : IDisposable
{
    private readonly string _dir = RealPath.Resolve(Directory.CreateTempSubdirectory("realpath").FullName);

    public RealPathTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "catalog", "data", "deep"));
        Directory.CreateDirectory(Path.Combine(_dir, "outside"));
        File.WriteAllText(Path.Combine(_dir, "catalog", "data", "deep", "a.bin"), "a");
        File.WriteAllText(Path.Combine(_dir, "outside", "secret"), "s");
        Directory.CreateSymbolicLink(Path.Combine(_dir, "catalog", "files"), "data");
        Directory.CreateSymbolicLink(Path.Combine(_dir, "catalog", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(_dir, "catalog", "away"), Path.Combine(_dir, "outside"));
        File.CreateSymbolicLink(Path.Combine(_dir, "catalog", "data", "deep", "link.bin"), "a.bin");
        File.CreateSymbolicLink(Path.Combine(_dir, "catalog", "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(_dir, "catalog", "loop2"), "loop1");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("data/deep/a.bin")]
    [InlineData("files/deep/a.bin")]
    [InlineData("files/deep/link.bin")]
    [InlineData("files/../files/deep/a.bin")]
    [InlineData("up/outside/secret")]
    [InlineData("away/secret")]
    [InlineData("files/deep/../../away/secret")]
    [InlineData("../catalog/files/deep/a.bin")]
    [InlineData("missing/x.bin")]
    [InlineData("")]
    public void Resolve_BelowARealFolder_SameAsTheWholePath(string relative)
    {
        var folder = Path.Combine(_dir, "catalog");
        var links = 0;
        Assert.Equal(RealPath.Resolve(Path.Join(folder, relative)), RealPath.Resolve(folder, relative, ref links));
    }

    [Fact]
    public void Resolve_InParts_SameAsTheWholePathAndCountsEveryLink()
    {
        var folder = Path.Combine(_dir, "catalog");
        var links = 0;
        var real = RealPath.Resolve(folder, "files/deep", ref links);
        Assert.Equal(1, links);
        Assert.Equal(RealPath.Resolve(Path.Join(folder, "files/deep/link.bin")), RealPath.Resolve(real, "link.bin", ref links));
        Assert.Equal(2, links);
    }

    [Fact]
    public void Resolve_ALoopBelowARealFolder_IsRefusedAsForTheWholePath()
    {
        var folder = Path.Combine(_dir, "catalog");
        var links = 0;
        Assert.Throws<IOException>(() => RealPath.Resolve(Path.Join(folder, "loop1")));
        Assert.Throws<IOException>(() => RealPath.Resolve(folder, "loop1", ref links));
    }

    [Fact]
    public void Resolve_LinksFollowedEarlierCountTowardsTheLimit()
    {
        var links = 40;
        Assert.Throws<IOException>(() => RealPath.Resolve(Path.Combine(_dir, "catalog"), "files/deep/a.bin", ref links));
    }
}
