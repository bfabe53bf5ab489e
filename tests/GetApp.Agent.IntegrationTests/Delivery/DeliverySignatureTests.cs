using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>
/// With a cosign public key configured, artifacts are checked against their signatures, on top of their size and hash
/// (which the offline catalog format requires; a GetApp server usually sends a signature and no hash).
/// </summary>
public sealed class DeliverySignatureTests : IDisposable
{
    private const string Id = "8.signed@1.0.0";
    private readonly CosignKey _key = new();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Delivery_EveryArtifactSignedWithTheKey_Downloaded()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var app = s.Origin.AddFile("app.bin", 300_000, seed: 1);
        var data = s.Origin.AddFile("data.bin", 200_000, seed: 2);
        s.Catalog.AddRaw(Entry((app, Sign(app)), (data, Sign(data))));
        await StartAsync(s);

        var status = await s.WaitDownloadedAsync(Id);

        Assert.True(status.State == ReleaseState.Downloaded, $"{status.State}/{status.DeviceReleaseStatus}: {status.ErrMsg}");
        Assert.Equal(data.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(status.ArtsDirPath!, data.Name)));
    }

    [Theory]
    [InlineData("wrong", "its cosign signature does not match the file")]
    [InlineData(null, "the artifact is not signed")]
    public async Task Delivery_AnArtifactBadlyOrNotSigned_ErrorNamingItAndNothingDelivered(string? signature, string reason)
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var app = s.Origin.AddFile("app.bin", 300_000, seed: 1);
        var data = s.Origin.AddFile("data.bin", 200_000, seed: 2);
        s.Catalog.AddRaw(Entry((app, Sign(app)), (data, signature is null ? null : Sign(app))));
        await StartAsync(s);

        var status = await s.WaitDownloadedAsync(Id);

        Assert.Equal(ReleaseState.Delivery, status.State);
        Assert.Equal("Error", status.DeviceReleaseStatus);
        Assert.Contains($"artifact '{Id}@data.bin': Signature Validation failed: {reason}", status.ErrMsg);
        Assert.Null(status.ArtsDirPath);
        Assert.False(Directory.Exists(s.ArtsDirOf(Id)));
        Assert.False(Directory.Exists(s.PartialDirOf(Id)));
        // A signature that does not match is given one fresh download (as the reference agent does); a missing one is not.
        Assert.Equal(signature is null ? 1 : 2, s.Origin.RequestsFor(data.Name).Count);
        Assert.Single(s.Origin.RequestsFor(app.Name));
    }

    [Fact]
    public async Task Start_ConfiguredKeyFileMissing_AgentRefusesToStart()
    {
        var missing = Path.Combine(Path.GetDirectoryName(_key.PublicKeyFile)!, "missing.pub");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAgent.StartAsync(configure: o => o with { CosignPublicKey = missing }));

        Assert.Contains($"cannot read the cosign public key {missing}", error.Message);
    }

    private async Task StartAsync(DeliveryScenario s)
    {
        await s.StartAgentAsync(configure: o => o with { CosignPublicKey = _key.PublicKeyFile });
        await s.ControlOkAsync("start", Id);
    }

    private string Sign(OriginFile file) => _key.SignDigest(Convert.FromHexString(file.Sha256Hex));

    private static JsonObject Entry(params (OriginFile File, string? Signature)[] artifacts) => new()
    {
        ["release"] = TestCatalog.Release(Id),
        ["isPush"] = false,
        ["dependedOnBy"] = new JsonArray(),
        ["artifacts"] = new JsonArray([.. artifacts.Select(a => (JsonNode?)new JsonObject
        {
            ["itemKey"] = $"{Id}@{a.File.Name}",
            ["artifactType"] = "software",
            ["url"] = a.File.Url.ToString(),
            ["size"] = a.File.Size,
            ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = a.File.Sha256Hex },
            ["signature"] = a.Signature,
        })]),
    };
}
