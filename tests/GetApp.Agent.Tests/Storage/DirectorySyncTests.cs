using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Tests.Storage;

public sealed class DirectorySyncTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-dirsync-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Sync_ExistingDirectory_FsyncsIt()
    {
        File.WriteAllText(Path.Combine(_dir, "renamed-into-place.bin"), "x");

        Assert.Equal(OperatingSystem.IsLinux(), DirectorySync.Sync(_dir));
    }

    [Fact]
    public void Sync_MissingDirectory_ReportsFailureWithoutThrowing() =>
        Assert.False(DirectorySync.Sync(Path.Combine(_dir, "not-there")));
}
