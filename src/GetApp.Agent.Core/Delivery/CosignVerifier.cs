using System.Security.Cryptography;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Checks artifacts' cosign signatures when a public key is configured (docs/architecture.md §4). GetApp signs every upload with
/// <c>cosign sign-blob</c>: an ECDSA P-256 signature (cosign's default key; RSA with PKCS#1 v1.5 is accepted too) over
/// the file's SHA-256, DER-encoded, base64 text. The digest computed while downloading is all a check needs, so nothing
/// is read twice. A GetApp server usually sends no hash for software files, so for them the signature is the integrity
/// check: with a key configured, an unsigned artifact is refused too.
/// </summary>
public sealed class CosignVerifier : IDisposable
{
    /// <summary>The conventional key file in the data dir, used when no key is configured explicitly.</summary>
    public const string DefaultFileName = "cosign.pub";

    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;

    private CosignVerifier(string? keyPath, ECDsa? ecdsa, RSA? rsa)
    {
        KeyPath = keyPath;
        _ecdsa = ecdsa;
        _rsa = rsa;
    }

    /// <summary>No key configured: every artifact passes.</summary>
    public static CosignVerifier Disabled { get; } = new(null, null, null);

    /// <summary>Where the key came from (for messages); null when signatures are not checked.</summary>
    public string? KeyPath { get; }

    /// <summary>
    /// The verifier for <paramref name="options"/>: the configured key file, else <c>cosign.pub</c> in the data dir if
    /// there is one, else <see cref="Disabled"/>. A configured key that cannot be read or is not a supported public
    /// key stops the agent from starting: running without the checks the operator asked for would be worse.
    /// </summary>
    public static CosignVerifier For(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.CosignPublicKey ?? Path.Combine(options.DataDir, DefaultFileName);
        if (options.CosignPublicKey is null && !File.Exists(path))
        {
            return Disabled;
        }

        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read the cosign public key {path}: {e.Message}", e);
        }

        return FromPem(pem, path);
    }

    /// <summary>A verifier for a PEM public key (<c>-----BEGIN PUBLIC KEY-----</c>, as <c>cosign generate-key-pair</c> writes it).</summary>
    public static CosignVerifier FromPem(string pem, string keyPath)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
            if (ecdsa.KeySize != 256)
            {
                throw new InvalidOperationException($"the cosign public key {keyPath} is an ECDSA key on a {ecdsa.KeySize}-bit curve; cosign signs SHA-256 digests with P-256 keys");
            }

            return new CosignVerifier(keyPath, ecdsa, null);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return new CosignVerifier(keyPath, null, rsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"the cosign public key {keyPath} is not a PEM public key (ECDSA P-256 or RSA)", e);
        }
    }

    /// <summary>Null when the artifact is signed with this key (or no key is configured), else why not (for <c>errMsg</c>).</summary>
    public string? Check(ArtifactSpec spec, byte[] sha256)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sha256);
        if (KeyPath is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(spec.Signature))
        {
            return $"artifact '{spec.ItemKey}': Signature Validation failed: the artifact is not signed, and a cosign public key is configured ({KeyPath})";
        }

        return Verify(sha256, spec.Signature) ? null
            : $"artifact '{spec.ItemKey}': Signature Validation failed: its cosign signature does not match the file with the key {KeyPath}";
    }

    private bool Verify(byte[] sha256, string signature)
    {
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(signature.Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        return _ecdsa is not null
            ? _ecdsa.VerifyHash(sha256, raw, DSASignatureFormat.Rfc3279DerSequence)
            : _rsa!.VerifyHash(sha256, raw, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }
}
