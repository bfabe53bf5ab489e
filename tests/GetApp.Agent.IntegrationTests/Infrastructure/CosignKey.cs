using System.Security.Cryptography;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A cosign key pair for tests: the public half written as <c>cosign.pub</c> (PEM) for the agent to be configured with,
/// the private half signing the way <c>cosign sign-blob</c> does (ECDSA P-256 over the file's SHA-256, DER, base64).
/// </summary>
public sealed class CosignKey : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TempDirectory _dir = new("getapp-keys");

    public CosignKey()
    {
        PublicKeyFile = _dir.Combine("cosign.pub");
        File.WriteAllText(PublicKeyFile, _key.ExportSubjectPublicKeyInfoPem());
    }

    public string PublicKeyFile { get; }

    public string Sign(byte[] content) => SignDigest(SHA256.HashData(content));

    public string SignDigest(byte[] sha256) => Convert.ToBase64String(_key.SignHash(sha256, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose()
    {
        _key.Dispose();
        _dir.Dispose();
    }
}
