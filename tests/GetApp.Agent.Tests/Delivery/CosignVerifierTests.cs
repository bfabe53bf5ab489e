using System.Diagnostics;
using System.Security.Cryptography;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Delivery;

/// <summary>
/// Keys and signatures come from the <c>openssl</c> command line, made the way <c>cosign sign-blob</c> makes them: an
/// ECDSA P-256 (or RSA) signature over the file's SHA-256, DER-encoded, base64 text. No .NET code signs here.
/// </summary>
public sealed class CosignVerifierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("getapp-cosign-").FullName;
    private readonly byte[] _file = RandomNumberGenerator.GetBytes(100_000);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("ecparam -name prime256v1 -genkey -noout")]
    [InlineData("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048")]
    public void Check_SignedWithTheConfiguredKey_Passes(string generate)
    {
        var (publicKey, signature) = SignWithOpenssl(generate, _file);
        using var verifier = CosignVerifier.FromPem(publicKey, "cosign.pub");

        Assert.Null(verifier.Check(Spec(signature), SHA256.HashData(_file)));
    }

    [Fact]
    public void Check_SignatureOfAnotherFile_FailsNamingTheArtifactAndKey()
    {
        var (publicKey, signature) = SignWithOpenssl("ecparam -name prime256v1 -genkey -noout", _file);
        using var verifier = CosignVerifier.FromPem(publicKey, "/etc/getapp/cosign.pub");
        var tampered = (byte[])_file.Clone();
        tampered[^1] ^= 1;

        var problem = verifier.Check(Spec(signature), SHA256.HashData(tampered));

        Assert.Equal("artifact '1.app@1.0.0@app.bin': Signature Validation failed: its cosign signature does not match the file with the key /etc/getapp/cosign.pub", problem);
    }

    [Fact]
    public void Check_SignedWithAnotherKey_Fails()
    {
        var (_, signature) = SignWithOpenssl("ecparam -name prime256v1 -genkey -noout", _file);
        var (otherKey, _) = SignWithOpenssl("ecparam -name prime256v1 -genkey -noout", _file);
        using var verifier = CosignVerifier.FromPem(otherKey, "cosign.pub");

        Assert.Contains("Signature Validation failed", verifier.Check(Spec(signature), SHA256.HashData(_file)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    public void Check_MissingOrMalformedSignature_Fails(string? signature)
    {
        var (publicKey, _) = SignWithOpenssl("ecparam -name prime256v1 -genkey -noout", _file);
        using var verifier = CosignVerifier.FromPem(publicKey, "cosign.pub");

        Assert.StartsWith("artifact '1.app@1.0.0@app.bin': Signature Validation failed", verifier.Check(Spec(signature), SHA256.HashData(_file)));
    }

    [Fact]
    public void Check_NoKeyConfigured_EverythingPasses() =>
        Assert.Null(CosignVerifier.Disabled.Check(Spec(null), SHA256.HashData(_file)));

    [Fact]
    public void FromPem_P384Key_RefusedWithTheReason()
    {
        var (publicKey, _) = SignWithOpenssl("ecparam -name secp384r1 -genkey -noout", _file);

        var error = Assert.Throws<InvalidOperationException>(() => CosignVerifier.FromPem(publicKey, "cosign.pub"));
        Assert.Contains("384-bit curve", error.Message);
    }

    [Fact]
    public void FromPem_NotAKey_Refused() =>
        Assert.Contains("is not a PEM public key", Assert.Throws<InvalidOperationException>(() => CosignVerifier.FromPem("hello", "cosign.pub")).Message);

    [Fact]
    public void For_NothingConfiguredAndNoDefaultFile_ChecksNothing() =>
        Assert.Same(CosignVerifier.Disabled, CosignVerifier.For(new AgentOptions { DataDir = _dir }));

    [Fact]
    public void For_CosignPubInTheDataDir_IsUsed()
    {
        var (publicKey, _) = SignWithOpenssl("ecparam -name prime256v1 -genkey -noout", _file);
        File.WriteAllText(Path.Combine(_dir, CosignVerifier.DefaultFileName), publicKey);

        using var verifier = CosignVerifier.For(new AgentOptions { DataDir = _dir });

        Assert.Equal(Path.Combine(_dir, "cosign.pub"), verifier.KeyPath);
    }

    [Fact]
    public void For_ConfiguredKeyFileMissing_RefusesToStart()
    {
        var missing = Path.Combine(_dir, "nope.pub");

        var error = Assert.Throws<InvalidOperationException>(() => CosignVerifier.For(new AgentOptions { DataDir = _dir, CosignPublicKey = missing }));
        Assert.Contains($"cannot read the cosign public key {missing}", error.Message);
    }

    private static ArtifactSpec Spec(string? signature) => new() { ItemKey = "1.app@1.0.0@app.bin", Url = "http://x/app.bin", Signature = signature };

    /// <summary>A new key pair, and <paramref name="file"/> signed with it: (public key PEM, base64 signature).</summary>
    private (string PublicKey, string Signature) SignWithOpenssl(string generate, byte[] file)
    {
        var work = Directory.CreateDirectory(Path.Combine(_dir, Guid.NewGuid().ToString("N"))).FullName;
        var key = Path.Combine(work, "key.pem");
        var blob = Path.Combine(work, "blob");
        File.WriteAllBytes(blob, file);
        Openssl($"{generate} -out {key}");
        var publicKey = Openssl($"pkey -in {key} -pubout");
        Openssl($"dgst -sha256 -sign {key} -out {blob}.sig {blob}");
        return (publicKey, Convert.ToBase64String(File.ReadAllBytes(blob + ".sig")));
    }

    private static string Openssl(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("openssl", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"openssl {arguments}: {error}");
        return output;
    }
}
