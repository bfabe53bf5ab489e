using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Tests.Upstream;

/// <summary>The JSON the agent sends to the GetApp server, field by field against the server DTOs (docs/getapp-server.md).</summary>
public class GetAppServerContractTests
{
    private static readonly DateTimeOffset Time = new(2026, 3, 1, 10, 20, 30, 456, TimeSpan.FromHours(2));

    private static JsonObject Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonNode.Parse(JsonSerializer.Serialize(value, info))!.AsObject();

    [Fact]
    public void DeliveryStatusDto_Serialized_HasServerNamesEnumSpellingsAndIsoUtcDates()
    {
        var json = Json(new DeliveryStatusDto
        {
            DeviceId = "dev-1", CatalogId = "7.app@1.0.0", ItemKey = "7.app@1.0.0", DeliveryStatus = "Download", Type = "software",
            DownloadStart = Time, DownloadData = 42.5, BitNumber = 4250, DownloadSpeed = 100.5, DownloadEstimateTime = 3000, CurrentTime = Time.AddSeconds(1),
        }, GetAppServerJsonContext.Default.DeliveryStatusDto);

        Assert.Equal(
            ["deviceId", "catalogId", "itemKey", "deliveryStatus", "type", "downloadStart", "downloadData", "bitNumber", "downloadSpeed", "downloadEstimateTime", "currentTime"],
            json.Select(p => p.Key));
        Assert.Equal("Download", json["deliveryStatus"]!.GetValue<string>());
        Assert.Equal("software", json["type"]!.GetValue<string>());
        Assert.Equal("2026-03-01T08:20:30.456Z", json["downloadStart"]!.GetValue<string>());
        Assert.Equal("2026-03-01T08:20:31.456Z", json["currentTime"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, json["downloadEstimateTime"]!.GetValueKind());
    }

    [Fact]
    public void DeployStatusDto_Serialized_HasServerNamesAndIntegerProgress()
    {
        var json = Json(new DeployStatusDto
        {
            DeviceId = "dev-1", CatalogId = "7.app@1.0.0", DeployStatus = "Done", Type = "software",
            DeployStart = Time, DeployDone = Time, Progress = 100, CurrentTime = Time,
        }, GetAppServerJsonContext.Default.DeployStatusDto);

        Assert.Equal(["deviceId", "catalogId", "deployStatus", "type", "deployStart", "deployDone", "progress", "currentTime"], json.Select(p => p.Key));
        Assert.Equal("100", json["progress"]!.ToJsonString());
    }

    [Fact]
    public void DiscoveryMessage_Serialized_HasDeviceTypeTokenAsOneStringAndDeviceTypeAsArray()
    {
        var json = Json(new DiscoveryMessageV2Dto
        {
            Id = "dev-1",
            DiscoveryType = ServerWire.DiscoveryTypeGetApp,
            SnapshotDate = Time,
            DeviceTypeToken = "edge-server,zone-a",
            Platform = new PlatformDiscoverDto("field-unit", null),
            DeviceData = new DeviceDataDto { DeviceId = "dev-1", DeviceType = ["edge-server", "zone-a"], Metadata = new JsonObject { ["os"] = "linux", ["fleet"] = "x" } },
            SoftwareData = new DiscoverySoftwareV2Dto([new ComponentStateDto("7.app@1.0.0", "installed", null)]),
            SupportedFields = [new DeviceFieldDto("$.os", "string")],
        }, GetAppServerJsonContext.Default.DiscoveryMessageV2Dto);

        Assert.Equal(["id", "discoveryType", "snapshotDate", "deviceTypeToken", "platform", "deviceData", "softwareData", "supportedFields"], json.Select(p => p.Key));
        Assert.Equal(JsonValueKind.String, json["deviceTypeToken"]!.GetValueKind());
        Assert.Equal("""{"token":"field-unit"}""", json["platform"]!.ToJsonString());
        Assert.Equal(JsonValueKind.Array, json["deviceData"]!["deviceType"]!.GetValueKind());
        Assert.Equal("x", json["deviceData"]!["metadata"]!["fleet"]!.GetValue<string>());
        Assert.Equal("""{"components":[{"catalogId":"7.app@1.0.0","state":"installed"}]}""", json["softwareData"]!.ToJsonString());
        Assert.Equal("""[{"name":"$.os","type":"string"}]""", json["supportedFields"]!.ToJsonString());
    }

    [Fact]
    public void PrepareDeliveryRequest_Serialized_IsCatalogIdDeviceIdItemType()
    {
        Assert.Equal("""{"catalogId":"7.app@1.0.0","deviceId":"dev-1","itemType":"software"}""",
            JsonSerializer.Serialize(new PrepareDeliveryReqDto("7.app@1.0.0", "dev-1", "software"), GetAppServerJsonContext.Default.PrepareDeliveryReqDto));
    }

    [Fact]
    public void PrepareDeliveryAnswer_Done_MapsEveryArtifactFieldAndKeepsPresignedQuery()
    {
        const string body = """
            {"catalogId":"7.app@1.0.0","status":"done","artifacts":[{"catalogId":"7.app@1.0.0","id":12,"itemKey":"7.app@1.0.0@setup.sh",
             "artifactType":"software","url":"https://minio.local/b/setup.sh?X-Amz-Signature=abc%2Fdef&X-Amz-Expires=600","size":42,
             "hash":{"algorithm":"SHA256Hex","hash":"00"},"signature":"MEUC","isExecutable":true,"arguments":"-q","metaData":"{}"}]}
            """;
        var result = JsonSerializer.Deserialize(body, GetAppServerJsonContext.Default.PrepareDeliveryResDto)!;

        var prepared = GetAppServerUpstream.Interpret("7.app@1.0.0", result, "http://server");

        Assert.Equal(PrepareStatus.Done, prepared.Status);
        var artifact = Assert.Single(prepared.Artifacts);
        Assert.Equal("https://minio.local/b/setup.sh?X-Amz-Signature=abc%2Fdef&X-Amz-Expires=600", artifact.Source.OriginalString);
        Assert.Equal(new ArtifactSpec
        {
            ItemKey = "7.app@1.0.0@setup.sh", Url = "https://minio.local/b/setup.sh?X-Amz-Signature=abc%2Fdef&X-Amz-Expires=600", Size = 42,
            Hash = new ArtifactHash("SHA256Hex", "00"), ArtifactType = "software", IsExecutable = true, Arguments = "-q", MetaData = "{}", Signature = "MEUC",
        }, artifact.Spec);
    }

    [Theory]
    [InlineData("start", PrepareStatus.Pending)]
    [InlineData("inProgress", PrepareStatus.Pending)]
    [InlineData("pending", PrepareStatus.Pending)]
    [InlineData("delete", PrepareStatus.Pending)]
    [InlineData("error", PrepareStatus.Error)]
    [InlineData("bogus", PrepareStatus.Error)]
    public void PrepareDeliveryAnswer_Status_MapsToWhatTheEngineActsOn(string status, PrepareStatus expected)
    {
        Assert.Equal(expected, GetAppServerUpstream.Interpret("7.app@1.0.0", new PrepareDeliveryResDto { Status = status }, "http://server").Status);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://server/file")]
    public void PrepareDeliveryAnswer_NonHttpUrl_IsRefused(string url)
    {
        var result = new PrepareDeliveryResDto { Status = "done", Artifacts = [new DeliveryItemDto { ItemKey = "k", Url = url, ArtifactType = "software" }] };

        var prepared = GetAppServerUpstream.Interpret("7.app@1.0.0", result, "http://server");

        Assert.Equal(PrepareStatus.Error, prepared.Status);
        Assert.Contains(url, prepared.Error);
    }

    [Fact]
    public void PrepareDeliveryAnswer_DoneWithNoArtifacts_IsABundleWithNothingToFetch()
    {
        var result = JsonSerializer.Deserialize("""{"catalogId":"20.kit@1.0.0","status":"done","artifacts":[]}""", GetAppServerJsonContext.Default.PrepareDeliveryResDto)!;

        var prepared = GetAppServerUpstream.Interpret("20.kit@1.0.0", result, "http://server");

        Assert.Equal(PrepareStatus.Done, prepared.Status);
        Assert.Empty(prepared.Artifacts);
    }

    [Fact]
    public void DiscoveryMessage_General_HasTheServersSectionAndFieldNames()
    {
        var json = Json(new DiscoveryMessageV2Dto
        {
            Id = "dev-1",
            DiscoveryType = ServerWire.DiscoveryTypeGetApp,
            General = new GeneralDiscoveryDto(new PersonalDiscoveryDto("pump-7"), new SituationalDiscoveryDto("1000", 80, new GeoLocationDto("32.1", "34.8", null)),
                new PhysicalDiscoveryDto { Id = "dev-1", Os = "linux", Mac = "aa:bb:cc:dd:ee:ff", Ip = "10.0.0.1", SerialNumber = "SN-1" }),
            SoftwareData = new DiscoverySoftwareV2Dto([]),
        }, GetAppServerJsonContext.Default.DiscoveryMessageV2Dto);

        Assert.Equal(
            """{"personalDevice":{"name":"pump-7"},"situationalDevice":{"availableStorage":"1000","power":80,"location":{"lat":"32.1","long":"34.8"}},"physicalDevice":{"ID":"dev-1","OS":"linux","MAC":"aa:bb:cc:dd:ee:ff","IP":"10.0.0.1","serialNumber":"SN-1"}}""",
            json["general"]!.ToJsonString());
    }

    [Fact]
    public void DeliveryStatusDto_State_FollowsTheStatusAndIsIntegerValued()
    {
        var json = Json(new DeliveryStatusDto
        {
            DeviceId = "dev-1", CatalogId = "7.app@1.0.0", ItemKey = "7.app@1.0.0", DeliveryStatus = "Done", State = "Done", Type = "software",
            BitNumber = int.MaxValue, DownloadEstimateTime = 0, CurrentTime = Time,
        }, GetAppServerJsonContext.Default.DeliveryStatusDto);

        Assert.Equal(["deviceId", "catalogId", "itemKey", "deliveryStatus", "state", "type", "bitNumber", "downloadEstimateTime", "currentTime"], json.Select(p => p.Key));
        Assert.Equal("2147483647", json["bitNumber"]!.ToJsonString());
    }

    [Theory]
    [InlineData("http://server:3000", "/api/v2/files/a.bin?X-Amz-Signature=s", "http://server:3000/api/v2/files/a.bin?X-Amz-Signature=s")]
    [InlineData("http://server:3000/", "/files/a.bin", "http://server:3000/files/a.bin")]
    [InlineData("http://server/getapp", "/files/a.bin", "http://server/files/a.bin")]
    [InlineData("http://server/getapp", "files/a.bin", "http://server/getapp/files/a.bin")]
    [InlineData("http://server:3000", "//mirror.local/a.bin", "http://mirror.local/a.bin")]
    [InlineData("http://server:3000", "https://s3.local/b/a.bin?sig=1", "https://s3.local/b/a.bin?sig=1")]
    public void ResolveArtifactUrl_PathIsOnTheServerThatAnswered(string baseUrl, string url, string expected) =>
        Assert.Equal(expected, GetAppServerClient.ResolveArtifactUrl(baseUrl, url)!.AbsoluteUri);

    [Fact]
    public void PrepareDeliveryAnswer_UnfetchableUrl_ErrorMasksItsQueryAndUserInfo()
    {
        var result = new PrepareDeliveryResDto
        {
            Status = "done",
            Artifacts = [new DeliveryItemDto { ItemKey = "k", Url = "ftp://user:pw@files.local/a.bin?X-Amz-Signature=secret", ArtifactType = "software" }],
        };

        var prepared = GetAppServerUpstream.Interpret("7.app@1.0.0", result, "http://server");

        Assert.Contains("ftp://***@files.local/a.bin?***", prepared.Error);
        Assert.DoesNotContain("secret", prepared.Error);
        Assert.DoesNotContain("pw", prepared.Error);
    }
}
