using GetApp.Agent.Core.OfflineMedia;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Tests.OfflineMedia;

public sealed class CatalogAddTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("catalog-add").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Catalog => Path.Combine(_dir, "usb");

    private string Source(string name, string content, bool executable)
    {
        var path = Path.Combine(_dir, "src", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0);
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }

    private Task<Core.Upstream.OfferedRelease> AddAsync(CatalogAddRequest request) => CatalogAdd.RunAsync(request, TimeProvider.System, CancellationToken.None);

    [Fact]
    public async Task Installer_OnAStickWhereEveryFileLooksExecutable_IsTheOnlyExecutableAndComesFirst()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);
        // FAT and exFAT sticks show every file with the execute bit.
        var data = Source("app.tar.gz", "data", executable: true);
        var install = Source("setup.sh", "#!/bin/sh\n", executable: true);
        var uninstall = Source("uninstall.sh", "#!/bin/sh\n", executable: true);

        var entry = await AddAsync(new CatalogAddRequest
        {
            CatalogDir = Catalog, Project = "app", Version = "1.0", Files = [data, uninstall, install], Installer = "setup.sh", Arguments = "-q",
        });

        Assert.Equal(["setup.sh", "app.tar.gz", "uninstall.sh"], entry.Artifacts!.Select(a => Path.GetFileName(a.Url)));
        Assert.Equal([true, null, true], entry.Artifacts!.Select(a => a.IsExecutable));
        Assert.Equal(["-q", null, null], entry.Artifacts!.Select(a => a.Arguments));
    }

    [Fact]
    public async Task WithoutInstaller_TheExecuteBitDecides_AndTheFirstExecutableGetsTheArguments()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);
        var data = Source("app.tar.gz", "data", executable: false);
        var install = Source("install.sh", "#!/bin/sh\n", executable: true);

        var entry = await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "app", Version = "1.0", Files = [data, install], Arguments = "--x" });

        Assert.Equal([null, true], entry.Artifacts!.Select(a => a.IsExecutable));
        Assert.Equal([null, "--x"], entry.Artifacts!.Select(a => a.Arguments));
    }

    [Fact]
    public async Task ProjectIds_AreKeptPerProject_AndNewProjectsTakeTheNextFreeOne()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);
        var file = Source("f.bin", "x", executable: false);

        var a1 = await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "a", Version = "1", Files = [file], ProjectId = 7 });
        var b1 = await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "b", Version = "1", Files = [file] });
        var a2 = await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "a", Version = "2", Files = [file] });

        Assert.Equal(["7.a@1", "8.b@1", "7.a@2"], new[] { a1, b1, a2 }.Select(e => e.CatalogId));
        Assert.Equal(3, (await CatalogReader.ReadAsync(Catalog, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task AFileAlreadyInTheCatalogFolder_IsUsedInPlace()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);
        var inPlace = Path.Combine(Catalog, "files", "1.big@1", "big.iso");
        Directory.CreateDirectory(Path.GetDirectoryName(inPlace)!);
        await File.WriteAllTextAsync(inPlace, "iso");

        var entry = await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "big", Version = "1", Files = [inPlace] });

        Assert.Equal("files/1.big@1/big.iso", Assert.Single(entry.Artifacts!).Url);
        Assert.Equal(["big.iso"], Directory.GetFiles(Path.GetDirectoryName(inPlace)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AFileNameTheDeviceWouldChange_IsRefused()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);

        var e = await Assert.ThrowsAsync<OfflineMediaException>(() =>
            AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "app", Version = "1", Files = [Source("my setup.sh", "x", executable: true)] }));

        Assert.Contains("'my setup.sh' would be changed on the device", e.Message);
    }

    [Fact]
    public async Task ASecondWriterAtOnce_IsRefusedWhileTheFirstHoldsTheCatalog()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);
        using var first = await CatalogFolder.OpenAsync(Catalog, create: false, CancellationToken.None);

        var e = await Assert.ThrowsAsync<OfflineMediaException>(() =>
            AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "app", Version = "1", Files = [Source("a.bin", "x", executable: false)] }));

        Assert.Contains("Another `catalog add` or `export` is writing", e.Message);
    }

    [Fact]
    public async Task ADependencyCycle_IsRefusedByTheAgentsReader_AndTheCatalogIsLeftAsItWas()
    {
        await CatalogFolder.InitAsync(Catalog, CancellationToken.None);
        var file = Source("f.bin", "x", executable: false);
        await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "a", Version = "1", Files = [file] });
        await AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "b", Version = "1", Files = [file], DependsOn = ["1.a@1"] });
        var before = await File.ReadAllTextAsync(Path.Combine(Catalog, "catalog.json"));

        var e = await Assert.ThrowsAsync<OfflineMediaException>(() =>
            AddAsync(new CatalogAddRequest { CatalogDir = Catalog, Project = "a", Version = "1", Files = [file], DependsOn = ["2.b@1"], Replace = true }));

        Assert.Contains("the dependencies form a cycle", e.Message);
        Assert.Contains("catalog.json", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(Catalog, "catalog.json")));
    }
}
