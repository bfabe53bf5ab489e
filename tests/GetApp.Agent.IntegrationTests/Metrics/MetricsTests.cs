using System.Net;
using GetApp.Agent.IntegrationTests.Delivery;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.IntegrationTests.Infrastructure.PrometheusText;

namespace GetApp.Agent.IntegrationTests.Metrics;

/// <summary><c>GET /metrics</c>, read with a strict Prometheus text-format parser, while real deliveries run.</summary>
public sealed class MetricsTests
{
    private const string App = "7.demo-app@1.0.0";

    [Fact]
    public async Task Metrics_ParseAndCountersMoveAsADeliveryRuns()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 3_000_000, seed: 4);
        file.Faults.ThrottleBytesPerSecond = 1_500_000;
        file.Faults.FailTimes = 1; // one 503 first: a retry
        s.Catalog.AddRaw(CatalogEntries.Http(App, file));
        await s.StartAgentAsync();

        var before = await ScrapeAsync(s.Agent);
        Assert.Equal(0, Value(before, "getapp_downloaded_bytes_total"));
        Assert.Equal(0, Value(before, "getapp_deliveries_total", ("outcome", "started")));
        Assert.Equal(0, Value(before, "getapp_download_retries_total", ("reason", "http")));
        Assert.Equal(1, Value(before, "getapp_releases", ("state", "offering"), ("status", "")));
        Assert.Equal(0, Value(before, "getapp_outbox_depth"));
        Assert.True(Value(before, "getapp_discoveries_total", ("result", "ok")) >= 1);
        Assert.InRange(Value(before, "getapp_discovery_last_success_age_seconds"), 0, 60);
        Assert.Equal(1, Value(before, "getapp_upstream_reachable"));
        Assert.True(Value(before, "getapp_disk_free_bytes") > 0);
        Assert.True(Value(before, "process_resident_memory_bytes") > 1_000_000);

        await s.ControlOkAsync("start", App);
        await s.Agent.WaitForAsync(App, r => r.Progress is > 10 and < 90);
        var during = await ScrapeAsync(s.Agent);
        await s.WaitDownloadedAsync(App);
        var after = await ScrapeAsync(s.Agent);

        Assert.Equal(1, Value(during, "getapp_deliveries_total", ("outcome", "started")));
        Assert.Equal(1, Value(during, "getapp_releases", ("state", "delivery"), ("status", "InProgress")));
        var midway = Value(during, "getapp_downloaded_bytes_total");
        Assert.InRange(midway, 1, file.Size - 1);
        Assert.Equal(1, Value(during, "getapp_download_retries_total", ("reason", "http")));

        Assert.Equal(file.Size, Value(after, "getapp_downloaded_bytes_total"));
        Assert.Equal(1, Value(after, "getapp_deliveries_total", ("outcome", "done")));
        Assert.Equal(0, Value(after, "getapp_deliveries_total", ("outcome", "failed")));
        Assert.Equal(1, Value(after, "getapp_releases", ("state", "downloaded"), ("status", "Done")));
        Assert.Equal(0, Value(after, "getapp_download_failures_total", ("reason", "http")));

        // The status polls above are counted per route, in a histogram.
        var polls = after["http_server_request_duration_seconds"];
        Assert.Equal("histogram", polls.Type);
        var count = Value(after, "http_server_request_duration_seconds_count",
            ("http_request_method", "GET"), ("http_response_status_code", "200"), ("http_route", "/api/v2/device/releases/{catalogId}"));
        Assert.True(count >= 3, $"{count} status requests counted");
        Assert.True(Value(after, "http_server_request_duration_seconds_count", ("http_request_method", "GET"), ("http_response_status_code", "200"), ("http_route", "/metrics")) >= 2);
    }

    [Fact]
    public async Task Metrics_FailuresAndInstallsByOutcome()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var missing = s.Origin.AddFile("gone.bin", 1000);
        missing.Faults.FailStatus = 404;
        missing.Faults.FailTimes = int.MaxValue;
        s.Catalog.AddRaw(CatalogEntries.Http(App, missing));
        s.Catalog.Add("9.tool@1.0.0", files: Deploy.DeployTestKit.Installer("exit 0"), executable: "install.sh");
        await s.StartAgentAsync();

        await s.ControlOkAsync("start", App);
        await s.ControlOkAsync("start", "9.tool@1.0.0");
        await s.WaitDownloadedAsync(App);
        await s.WaitDownloadedAsync("9.tool@1.0.0");
        (await Deploy.DeployTestKit.StartAsync(s.Agent, "9.tool@1.0.0")).EnsureSuccessStatusCode();
        await Deploy.DeployTestKit.WaitInstalledAsync(s.Agent, "9.tool@1.0.0");
        var metrics = await ScrapeAsync(s.Agent);

        Assert.Equal(1, Value(metrics, "getapp_download_failures_total", ("reason", "http")));
        Assert.Equal(1, Value(metrics, "getapp_deliveries_total", ("outcome", "failed")));
        Assert.Equal(1, Value(metrics, "getapp_deliveries_total", ("outcome", "done")));
        Assert.Equal(1, Value(metrics, "getapp_installs_total", ("outcome", "started")));
        Assert.Equal(1, Value(metrics, "getapp_installs_total", ("outcome", "done")));
        Assert.Equal(0, Value(metrics, "getapp_installs_total", ("outcome", "failed")));
        Assert.Equal(1, Value(metrics, "getapp_releases", ("state", "delivery"), ("status", "Error")));
        Assert.Equal(1, Value(metrics, "getapp_releases", ("state", "installed"), ("status", "Done")));
    }

    [Fact]
    public async Task Metrics_OutboxDepthAndAgeWhileTheServerIsAway()
    {
        await using var server = await GetAppServerDouble.StartAsync("s3cret");
        server.AddRelease(App, files: new Dictionary<string, byte[]> { ["app.bin"] = new byte[500] });
        await using var agent = await server.StartAgentAsync();
        await agent.Get<Core.Discovery.DiscoveryService>().DiscoverAsync(CancellationToken.None);
        server.ReportsUnreachable = true;

        await agent.Client.PostAsync($"/api/v2/delivery/start/{Uri.EscapeDataString(App)}", null);
        await agent.WaitForAsync(App, r => r.State == Core.Releases.ReleaseState.Downloaded);
        await Task.Delay(1200);
        var metrics = await ScrapeAsync(agent);

        Assert.True(Value(metrics, "getapp_outbox_depth") >= 2, "the delivery's reports wait");
        Assert.True(Value(metrics, "getapp_outbox_oldest_age_seconds") >= 1);

        server.ReportsUnreachable = false;
        await server.WaitForAsync(d => d.DeliveryReports.Count >= 2, "the reports");
        await DeployWait(async () => Value(await ScrapeAsync(agent), "getapp_outbox_depth") == 0);
        Assert.Equal(0, Value(await ScrapeAsync(agent), "getapp_outbox_oldest_age_seconds"));
    }

    [Fact]
    public void Parser_RefusesWhatPrometheusWouldRefuse()
    {
        string[] bad =
        [
            "a 1",                                                            // no final line feed
            "# TYPE a counter\na 1\n# TYPE a counter\n",                      // TYPE twice
            "a 1\n# TYPE a counter\n",                                        // TYPE after the samples
            "a{b=\"1\"} 1\nc 1\na{b=\"2\"} 1\n",                              // a family's samples apart
            "a{b=\"1\"} 1\na{b=\"1\"} 2\n",                                   // a series twice
            "a{b=\"x\\t\"} 1\n",                                              // an invalid escape
            "a{b=1} 1\n",                                                     // an unquoted label value
            "a{__b=\"1\"} 1\n",                                               // a reserved label name
            "a 1,5\n",                                                        // not a number
            "1a 1\n",                                                         // not a metric name
            "# TYPE a counter\na -1\n",                                       // a negative counter
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", // no +Inf bucket
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", // +Inf bucket is not _count
        ];
        foreach (var text in bad)
        {
            Assert.Throws<FormatException>(() => Parse(text));
        }

        var good = Parse("# HELP a The \\\\ \\n help\n# TYPE a counter\na{b=\"q\\\"\\n\\\\\"} 1.5e3\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n");
        Assert.Equal(1500, Value(good, "a", ("b", "q\"\n\\")));
        Assert.Equal("The \\ \n help", good["a"].Help);
    }

    private static async Task DeployWait(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }

    internal static async Task<IReadOnlyDictionary<string, MetricFamily>> ScrapeAsync(TestAgent agent)
    {
        using var response = await agent.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return Parse(await response.Content.ReadAsStringAsync());
    }
}
