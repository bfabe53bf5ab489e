using System.Security.Cryptography;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// Checks a downloaded artifact against what the upstream promised: its size first (cheap, and the clearer message for a
/// truncated file), then its SHA-256 (computed while the bytes were written, so nothing is read twice).
/// </summary>
public static class DeliveryValidator
{
    /// <summary>Null when the artifact is intact, else the problem with the expected and actual values.</summary>
    public static string? Check(ArtifactSpec spec, long length, byte[] sha256)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sha256);
        if (spec.Size is { } size && size != length)
        {
            return $"artifact '{spec.ItemKey}': size mismatch: expected {size} bytes, got {length}";
        }

        if (spec.Hash is not { } hash)
        {
            return null;
        }

        if (hash.TryGetDigest() is not { } expected)
        {
            return $"artifact '{spec.ItemKey}': unsupported or malformed hash '{hash.Hash}' ({hash.Algorithm}); expected SHA256Hex or SHA256Base64";
        }

        if (CryptographicOperations.FixedTimeEquals(expected, sha256))
        {
            return null;
        }

        var actual = hash.Algorithm == ArtifactHash.Sha256Base64 ? Convert.ToBase64String(sha256) : Convert.ToHexStringLower(sha256);
        return $"artifact '{spec.ItemKey}': {hash.Algorithm} mismatch: expected {hash.Hash}, actual {actual}";
    }
}
