using System.Security.Cryptography;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Delivery;

public class DeliveryValidatorTests
{
    private static readonly byte[] Content = "hello, device"u8.ToArray();
    private static readonly byte[] Digest = SHA256.HashData(Content);

    private static ArtifactSpec Spec(long? size, ArtifactHash? hash) => new() { ItemKey = "1.a@1.0.0@a.bin", Url = "a.bin", Size = size, Hash = hash };

    [Fact]
    public void Check_MatchingSizeAndHexHash_Passes() =>
        Assert.Null(DeliveryValidator.Check(Spec(Content.Length, new(ArtifactHash.Sha256Hex, Convert.ToHexString(Digest))), Content.Length, Digest));

    [Fact]
    public void Check_MatchingBase64Hash_Passes() =>
        Assert.Null(DeliveryValidator.Check(Spec(null, new(ArtifactHash.Sha256Base64, Convert.ToBase64String(Digest))), Content.Length, Digest));

    [Fact]
    public void Check_WrongSize_NamesExpectedAndActualSizeBeforeTheHash()
    {
        var problem = DeliveryValidator.Check(Spec(99, new(ArtifactHash.Sha256Hex, new string('0', 64))), Content.Length, Digest);
        Assert.Equal($"artifact '1.a@1.0.0@a.bin': size mismatch: expected 99 bytes, got {Content.Length}", problem);
    }

    [Fact]
    public void Check_WrongHexHash_NamesExpectedAndActualHash()
    {
        var expected = new string('a', 64);
        var problem = DeliveryValidator.Check(Spec(Content.Length, new(ArtifactHash.Sha256Hex, expected)), Content.Length, Digest);
        Assert.Equal($"artifact '1.a@1.0.0@a.bin': SHA256Hex mismatch: expected {expected}, actual {Convert.ToHexStringLower(Digest)}", problem);
    }

    [Fact]
    public void Check_WrongBase64Hash_ReportsActualInBase64()
    {
        var problem = DeliveryValidator.Check(Spec(null, new(ArtifactHash.Sha256Base64, Convert.ToBase64String(new byte[32]))), Content.Length, Digest);
        Assert.EndsWith($"actual {Convert.ToBase64String(Digest)}", problem);
    }

    [Fact]
    public void Check_UnknownAlgorithm_Refused() =>
        Assert.Contains("unsupported or malformed hash", DeliveryValidator.Check(Spec(null, new("MD5", "abc")), Content.Length, Digest));
}
