using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Upstream;

/// <summary>
/// Artifact URLs from a GetApp server: a path (<c>/…</c>) is on the server that answered, and neither a presigned query
/// string nor user info ever reaches an errMsg, a log line, the database or a report.
/// </summary>
public class ArtifactUrlTests
{
    private const string Relative = "1.relative@1.0.0";
    private const string Missing = "2.missing@1.0.0";
    private const string Ftp = "3.ftp@1.0.0";
    private const string Secret = "TOPSECRET";
    private const string Password = "PA55WORD";

    private static readonly byte[] Content = [.. Enumerable.Range(0, 50_000).Select(i => (byte)i)];

    private static JsonObject Raw(string catalogId, string url, string name = "app.bin") => new()
    {
        ["catalogId"] = catalogId,
        ["itemKey"] = $"{catalogId}@{name}",
        ["artifactType"] = "software",
        ["url"] = url,
        ["size"] = Content.Length,
        ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(SHA256.HashData(Content)) },
        ["isExecutable"] = false,
        ["metaData"] = "{}",
    };

    [Fact]
    public async Task ServerUrlStartingWithSlash_IsFetchedFromTheServerThatAnswered()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        // The double serves the file under its presigned-style URL; a second artifact names the same file by path and query only.
        var absolute = new Uri(server.FileUrl(Relative, "app.bin"));
        var copy = Raw(Relative, absolute.PathAndQuery, "copy.bin");
        copy["signature"] = server.SignDigest(SHA256.HashData(Content));
        server.AddRelease(Relative, files: new Dictionary<string, byte[]> { ["app.bin"] = Content }, rawArtifacts: [copy]);
        await using var agent = await server.StartAgentAsync();
        await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);

        Assert.True((await agent.Client.PostAsync($"/api/v2/delivery/start/{Relative}", null)).IsSuccessStatusCode);
        var done = await agent.WaitForAsync(Relative, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error");

        Assert.True(done.State == ReleaseState.Downloaded, $"{done.DeviceReleaseStatus}: {done.ErrMsg}");
        Assert.Equal(2, server.Received.Count(r => r.Path.StartsWith("/files/0/", StringComparison.Ordinal) && r.Path.EndsWith("/app.bin", StringComparison.Ordinal) && r.Status == 200));
    }

    [Fact]
    public async Task PresignedQueryAndUserInfo_NeverReachErrMsgLogDatabaseOrReports()
    {
        var log = new LogCapture();
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(Relative, files: new Dictionary<string, byte[]> { ["app.bin"] = Content })
            .AddRelease(Missing, rawArtifacts: [Raw(Missing, $"/files/none/app.bin?X-Amz-Signature={Secret}")])
            .AddRelease(Ftp, rawArtifacts: [Raw(Ftp, $"ftp://user:{Password}@files.example/app.bin?X-Amz-Signature={Secret}")]);
        var dataDir = new TempDirectory("getapp-data");
        try
        {
            await using (var agent = await TestAgent.StartAsync(dataDir: dataDir.Path, configure: o => server.Configure(o),
                             configureServices: log.Into(GetAppServerDouble.AgentServices())))
            {
                await agent.Client.PostAsync("/api/v2/triggers/discover-component", null);
                await agent.Client.PutAsync("/api/v2/agent/configs", new StringContent("""{"downloadRetryCount":0}""", Encoding.UTF8, "application/json"));
                foreach (var id in new[] { Relative, Missing, Ftp })
                {
                    Assert.True((await agent.Client.PostAsync($"/api/v2/delivery/start/{id}", null)).IsSuccessStatusCode);
                }

                Assert.Equal(ReleaseState.Downloaded, (await agent.WaitForAsync(Relative, s => s.State == ReleaseState.Downloaded || s.DeviceReleaseStatus == "Error")).State);
                var missing = await agent.WaitForAsync(Missing, s => s.DeviceReleaseStatus == "Error");
                var ftp = await agent.WaitForAsync(Ftp, s => s.DeviceReleaseStatus == "Error");

                // Masked, not dropped: the reader sees there was a query / user info, and where the request went.
                Assert.Contains($"HTTP 404", missing.ErrMsg);
                Assert.Contains($"{server.BaseUrl}/files/none/app.bin?***", missing.ErrMsg);
                Assert.Contains("ftp://***@files.example/app.bin?***", ftp.ErrMsg);
                await server.WaitForAsync(s => s.DeliveryReports.Count(r => r["deliveryStatus"]?.GetValue<string>() == "Error") >= 2, "the error reports");
                var everything = string.Join('\n', missing.ErrMsg, ftp.ErrMsg, log.Text, string.Join('\n', server.DeliveryReports.Select(r => r.ToJsonString())),
                    await agent.Client.GetStringAsync("/api/v2/device/releases"), await agent.Client.GetStringAsync("/api/v2/device"));
                Assert.DoesNotContain(Secret, everything);
                Assert.DoesNotContain(Password, everything);
                Assert.DoesNotContain("X-Amz-Signature=sig", everything);
            }

            // At rest: no file of the data dir holds them (the database and its WAL included).
            foreach (var file in Directory.EnumerateFiles(dataDir.Path, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/comps/", StringComparison.Ordinal)))
            {
                var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
                Assert.False(text.Contains(Secret, StringComparison.Ordinal), $"{file} holds the presigned signature");
                Assert.False(text.Contains(Password, StringComparison.Ordinal), $"{file} holds the URL's password");
                Assert.False(text.Contains("X-Amz-Signature=sig", StringComparison.Ordinal), $"{file} holds the presigned query of a delivered artifact");
            }
        }
        finally
        {
            dataDir.Dispose();
        }
    }
}
