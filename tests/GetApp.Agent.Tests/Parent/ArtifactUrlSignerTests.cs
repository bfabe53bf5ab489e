using System.Web;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Parent;

namespace GetApp.Agent.Tests.Parent;

public sealed class ArtifactUrlSignerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-signer-{Guid.NewGuid():N}");

    public ArtifactUrlSignerTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SignedUrl_IsValidForItsReleaseAndFileOnly()
    {
        var signer = Signer(TimeProvider.System);
        var (expires, signature) = Parts(signer.PathAndQuery("7.app@1.0.0", "app.bin"));

        Assert.Null(signer.Check("7.app@1.0.0", "app.bin", expires, signature));
        Assert.NotNull(signer.Check("7.app@1.0.0", "other.bin", expires, signature));
        Assert.NotNull(signer.Check("7.app@1.0.1", "app.bin", expires, signature));
        Assert.NotNull(signer.Check("7.app@1.0.0", "app.bin", (long.Parse(expires!, System.Globalization.CultureInfo.InvariantCulture) + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), signature));
        Assert.NotNull(signer.Check("7.app@1.0.0", "app.bin", expires, null));
        Assert.NotNull(signer.Check("7.app@1.0.0", "app.bin", "soon", signature));
    }

    [Fact]
    public void Url_OutlivesARestart_ButNotItsExpiry()
    {
        var (expires, signature) = Parts(Signer(TimeProvider.System).PathAndQuery("7.app@1.0.0", "app.bin"));

        Assert.Null(Signer(TimeProvider.System).Check("7.app@1.0.0", "app.bin", expires, signature));
        Assert.Contains("expired", Signer(new Shifted(ArtifactUrlSigner.Validity + TimeSpan.FromHours(2))).Check("7.app@1.0.0", "app.bin", expires, signature));
    }

    [Fact]
    public void Key_IsKeptOwnerOnly_AndAnotherKeyRefusesTheUrl()
    {
        var (expires, signature) = Parts(Signer(TimeProvider.System).PathAndQuery("7.app@1.0.0", "app.bin"));
        var key = Path.Combine(_dir, ArtifactUrlSigner.KeyFileName);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }

        File.Delete(key);
        Assert.NotNull(Signer(TimeProvider.System).Check("7.app@1.0.0", "app.bin", expires, signature));
    }

    private ArtifactUrlSigner Signer(TimeProvider time) => new(new DataDirectory(_dir), time);

    private static (string? Expires, string? Signature) Parts(string pathAndQuery)
    {
        var query = HttpUtility.ParseQueryString(pathAndQuery[(pathAndQuery.IndexOf('?', StringComparison.Ordinal) + 1)..]);
        return (query["expires"], query["signature"]);
    }

    private sealed class Shifted(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
