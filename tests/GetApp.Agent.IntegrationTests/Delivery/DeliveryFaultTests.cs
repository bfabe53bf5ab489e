using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>Each fault of the origin ends in the documented state with a clear errMsg; bad bytes never reach artsDirPath.</summary>
public class DeliveryFaultTests
{
    private const string Id = "5.app@1.0.0";
    private const long Size = 1_000_000;

    private static async Task<(DeliveryScenario S, OriginFile File)> StartAsync(Action<OriginFaults> faults, JsonObject? settings = null, string? url = null, string? sha = null)
    {
        var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 5);
        faults(file.Faults);
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file, url: url, sha256Hex: sha));
        await s.StartAgentAsync(settings);
        await s.ControlOkAsync("start", Id);
        return (s, file);
    }

    private static void AssertDelivered(DeliveryScenario s, OriginFile file, DeviceReleaseStatusDto status)
    {
        Assert.True(status.State == ReleaseState.Downloaded, $"{status.State}/{status.DeviceReleaseStatus}: {status.ErrMsg}");
        Assert.Equal(file.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(status.ArtsDirPath!, file.Name)));
        Assert.False(Directory.Exists(s.PartialDirOf(Id)));
    }

    private static void AssertNothingDelivered(DeliveryScenario s, DeviceReleaseStatusDto status)
    {
        Assert.Equal(ReleaseState.Delivery, status.State);
        Assert.Equal("Error", status.DeviceReleaseStatus);
        Assert.Null(status.ArtsDirPath);
        Assert.False(Directory.Exists(s.ArtsDirOf(Id)));
    }

    [Fact]
    public async Task Download_ConnectionCutMidway_ResumesWithRangeAndIfRange()
    {
        var (s, file) = await StartAsync(f => { f.CutAfterBytes = 400_000; f.CutTimes = 1; });
        await using var _ = s;
        AssertDelivered(s, file, await s.WaitDownloadedAsync(Id));

        var requests = s.Origin.RequestsFor(file.Name);
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.InRange(requests[1].RangeStart!.Value, 1, 400_000);
        Assert.Equal(file.ETag, requests[1].IfRange);
        Assert.Equal(206, requests[1].Status);
        Assert.Equal(Size - requests[1].RangeStart!.Value, requests[1].BytesSent);
    }

    [Fact]
    public async Task Download_ServerIgnoresRange_RestartsFromZeroAndCompletes()
    {
        var (s, file) = await StartAsync(f => { f.CutAfterBytes = 400_000; f.CutTimes = 1; f.IgnoreRange = true; });
        await using var _ = s;
        AssertDelivered(s, file, await s.WaitDownloadedAsync(Id));

        var requests = s.Origin.RequestsFor(file.Name);
        Assert.Equal(2, requests.Count);
        Assert.NotNull(requests[1].Range);
        Assert.Equal(200, requests[1].Status);
    }

    [Fact]
    public async Task Download_RangeAnswered416_RestartsFromZeroAndCompletes()
    {
        var (s, file) = await StartAsync(f => { f.CutAfterBytes = 400_000; f.CutTimes = 1; f.AnswerRangeWith416 = true; });
        await using var _ = s;
        AssertDelivered(s, file, await s.WaitDownloadedAsync(Id));

        var requests = s.Origin.RequestsFor(file.Name);
        Assert.Equal([200, 416, 200], requests.Select(r => r.Status).ToArray());
        Assert.Null(requests[2].Range);
    }

    [Fact]
    public async Task Download_BodyLongerThanExpected_ErrorAndNothingInArtsDir()
    {
        var (s, _) = await StartAsync(f => f.ExtraBytes = 10_000);
        await using var _s = s;
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains($"more than the expected {Size} bytes", status.ErrMsg);
        Assert.Equal(0, s.PartialBytes(Id));
    }

    [Fact]
    public async Task Download_TruncatedArtifact_ErrorSizeMismatchAndNothingInArtsDir()
    {
        var (s, _) = await StartAsync(f => f.ShortBy = 10_000);
        await using var _s = s;
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains($"size mismatch: expected {Size} bytes, got {Size - 10_000}", status.ErrMsg);
        Assert.Equal(0, s.PartialBytes(Id));
    }

    [Fact]
    public async Task Download_CorruptArtifact_ErrorWithExpectedAndActualHash()
    {
        var wrong = new string('a', 64);
        var (s, file) = await StartAsync(_ => { }, sha: wrong);
        await using var _ = s;
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains($"expected {wrong}", status.ErrMsg);
        Assert.Contains($"actual {file.Sha256Hex}", status.ErrMsg);
        Assert.Equal(0, s.PartialBytes(Id));

        // A restart of the delivery after the error fetches the file again from zero.
        await s.ControlOkAsync("start", Id);
        Assert.Equal("Error", (await s.WaitDownloadedAsync(Id)).DeviceReleaseStatus);
        Assert.All(s.Origin.RequestsFor(file.Name), r => Assert.Null(r.Range));
    }

    [Fact]
    public async Task Download_RedirectToAnotherHost_FollowedWithoutForwardingCredentials()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 5);
        var url = $"http://device:secret@127.0.0.1:{s.Origin.BaseAddress.Port}/redirect/app.bin";
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file, url: url));
        await s.StartAgentAsync();
        await s.ControlOkAsync("start", Id);

        AssertDelivered(s, file, await s.WaitDownloadedAsync(Id));
        var log = s.Origin.Log;
        Assert.Equal(2, log.Count);
        Assert.Equal(("/redirect/app.bin", "127.0.0.1", true), (log[0].Path, log[0].Host, log[0].HasAuthorization));
        Assert.Equal(("/files/app.bin", "localhost", false), (log[1].Path, log[1].Host, log[1].HasAuthorization));
    }

    [Fact]
    public async Task Download_ExpiredUrl403_PreparesAgainAndUsesTheFreshUrl()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var expired = s.Origin.AddFile("expired.bin", Size, seed: 5);
        var fresh = s.Origin.AddFile("fresh.bin", Size, seed: 5);
        expired.Faults.ForbiddenTimes = int.MaxValue;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, expired));
        await s.StartAgentAsync();
        // The upstream hands out a new URL once the old one expired (as a GetApp server re-signs it).
        var republished = new TestCatalog();
        republished.AddRaw(CatalogEntries.Http(Id, [(expired.Name, fresh.Url.ToString(), Size, fresh.Sha256Hex)]));
        s.Origin.OnAnswered = r =>
        {
            if (r.Status == 403)
            {
                File.Copy(Path.Combine(republished.Write().Path, "catalog.json"), Path.Combine(s.Catalog.Path, "catalog.json"), overwrite: true);
            }
        };
        await s.ControlOkAsync("start", Id);

        var status = await s.WaitDownloadedAsync(Id);
        republished.Dispose();
        Assert.Equal(ReleaseState.Downloaded, status.State);
        Assert.Equal(fresh.Sha256Hex, DeliveryScenario.Sha256Of(Path.Combine(status.ArtsDirPath!, expired.Name)));
        Assert.Equal([403], s.Origin.RequestsFor(expired.Name).Select(r => r.Status).ToArray());
        Assert.Single(s.Origin.RequestsFor(fresh.Name));
    }

    [Fact]
    public async Task Download_StallsOnce_RetriedAfterStallTimeoutAndCompletes()
    {
        var (s, file) = await StartAsync(f => { f.StallAfterBytes = 300_000; f.StallTimes = 1; },
            new JsonObject { ["stallTimeoutSecs"] = 1, ["deliveryRetryDelaySecs"] = 0 });
        await using var _ = s;
        AssertDelivered(s, file, await s.WaitDownloadedAsync(Id));

        var requests = s.Origin.RequestsFor(file.Name);
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].RangeStart >= 300_000);
    }

    [Fact]
    public async Task Download_AlwaysStalls_ErrorAfterRetriesNamingTheStall()
    {
        var (s, _) = await StartAsync(f => f.StallAfterBytes = 0,
            new JsonObject { ["stallTimeoutSecs"] = 1, ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 1 });
        await using var _s = s;
        var status = await s.WaitDownloadedAsync(Id, TimeSpan.FromSeconds(30));

        AssertNothingDelivered(s, status);
        Assert.Contains("stalled: no data for 1 s", status.ErrMsg);
        Assert.Contains("after 1 retries", status.ErrMsg);
    }

    [Fact]
    public async Task Download_ServerError_RetriedDownloadRetryCountTimesThenError()
    {
        var (s, file) = await StartAsync(f => f.FailTimes = int.MaxValue,
            new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 3 });
        await using var _ = s;
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains("HTTP 503", status.ErrMsg);
        Assert.Equal(4, s.Origin.RequestsFor(file.Name).Count);
    }

    [Fact]
    public async Task Download_NotFound_ErrorWithoutRetrying()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", Size, seed: 5);
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file, url: new Uri(s.Origin.BaseAddress, "files/missing.bin").ToString()));
        await s.StartAgentAsync(new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 3 });
        await s.ControlOkAsync("start", Id);
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains("HTTP 404", status.ErrMsg);
        Assert.Single(s.Origin.Log);
    }

    [Fact]
    public async Task Download_OriginUnreachable_ErrorAfterRetriesNamingTheUrl()
    {
        var (s, _) = await StartAsync(_ => { }, url: "http://127.0.0.1:1/none");
        await using var _s = s;
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains("cannot reach http://127.0.0.1:1/none", status.ErrMsg);
    }

    [Fact]
    public async Task Start_NotEnoughFreeSpace_ErrorWithRequiredAndAvailableBytes()
    {
        var (s, file) = await StartAsync(_ => { }, new JsonObject { ["deliveryStorageBufferBytes"] = 1L << 40 });
        await using var _ = s;
        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Matches(@"not enough free space in .+: \d+ bytes required \(1000000 for the artifacts \+ \d+ deliveryStorageBufferBytes\), \d+ available", status.ErrMsg);
        Assert.Empty(s.Origin.RequestsFor(file.Name));
    }

    [Theory]
    [InlineData("6000000000000000000", "6000000000000000000")] // each fits a long; their sum does not
    [InlineData("1e19", "1")] // more than a long holds
    public async Task Start_DeclaredSizesBeyondAnyDisk_NotEnoughFreeSpaceInsteadOfAnOverflowThatPasses(string rootTotal, string dependencyTotal)
    {
        const string dependency = "4.lib@1.0.0";
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 1000, seed: 5);
        var lib = s.Origin.AddFile("lib.bin", 1000, seed: 6);
        s.Catalog.AddRaw(CatalogEntries.Http(dependency, [(lib.Name, lib.Url.ToString(), lib.Size, lib.Sha256Hex)], dependedOnBy: [Id],
                metadata: new JsonObject { ["totalSize"] = JsonNode.Parse(dependencyTotal) }))
            .AddRaw(CatalogEntries.Http(Id, [(file.Name, file.Url.ToString(), file.Size, file.Sha256Hex)],
                metadata: new JsonObject { ["totalSize"] = JsonNode.Parse(rootTotal) }));
        await s.StartAgentAsync();
        await s.ControlOkAsync("start", Id);

        var status = await s.WaitDownloadedAsync(Id);

        AssertNothingDelivered(s, status);
        Assert.Contains("not enough free space", status.ErrMsg);
        Assert.Empty(s.Origin.RequestsFor(file.Name));
        Assert.Empty(s.Origin.RequestsFor(lib.Name));
    }

    [Fact]
    public async Task PausedOrFailedDelivery_PartialFileHoldsOnlyItsBytes_NotTheRoomReservedForTheRest()
    {
        const long size = 32_000_000;
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", size, seed: 5);
        file.Faults.ThrottleBytesPerSecond = 4_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync(new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 0 });
        await s.ControlOkAsync("start", Id);
        await s.Agent.WaitForAsync(Id, x => x.Progress > 5);

        await s.ControlOkAsync("pause", Id);
        AssertHoldsOnlyItsBytes(s);

        file.Faults.FailTimes = int.MaxValue;
        await s.ControlOkAsync("resume", Id);
        Assert.Equal("Error", (await s.WaitDownloadedAsync(Id)).DeviceReleaseStatus);
        AssertHoldsOnlyItsBytes(s);
    }

    /// <summary>The disk blocks the partial file takes are its bytes (and a block's rounding), not its expected size.</summary>
    private static void AssertHoldsOnlyItsBytes(DeliveryScenario s)
    {
        var partial = Directory.GetFiles(s.PartialDirOf(Id)).Single();
        var length = new FileInfo(partial).Length;
        Assert.InRange(length, 1, 31_000_000);
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b", partial]) { RedirectStandardOutput = true })!;
        var allocated = long.Parse(stat.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture) * 512;
        stat.WaitForExit();
        Assert.True(allocated <= length + (1 << 20), $"{allocated} bytes allocated for {length} bytes written");
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Download_BusyWithRetryAfter_NextTryWaitsThatLong(int status)
    {
        var (s, file) = await StartAsync(f => { f.FailTimes = 1; f.FailStatus = status; f.RetryAfter = "3"; },
            new JsonObject { ["deliveryRetryDelaySecs"] = 0, ["downloadRetryCount"] = 2 });
        await using var _ = s;

        AssertDelivered(s, file, await s.WaitDownloadedAsync(Id));

        var requests = s.Origin.RequestsFor(file.Name);
        Assert.Equal(status, requests[0].Status);
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(2.9), $"retried after {(requests[1].At - requests[0].At).TotalSeconds:0.00} s");
    }
}
