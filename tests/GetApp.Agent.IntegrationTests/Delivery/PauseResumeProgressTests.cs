using System.Net.Http.Json;
using System.Text.Json;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.CommandLine;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Delivery;

/// <summary>What a person sees across a pause and a resume: no ETA while nothing moves, and no progress going back.</summary>
public sealed class PauseResumeProgressTests
{
    private const string Id = "5.app@1.0.0";

    [Fact]
    public async Task Paused_NoEta_InTheApiTheStreamAndTheCli_ResumedProgressNeverGoesBack()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 6_000_000, seed: 11);
        file.Faults.ThrottleBytesPerSecond = 1_500_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync();
        await using var stream = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/delivery");

        await s.ControlOkAsync("start", Id);
        var running = await s.Agent.WaitForAsync(Id, r => r.Progress > 25 && r.Eta is not null);
        Assert.NotNull(running.Eta);
        await s.ControlOkAsync("pause", Id);
        var paused = await s.WaitForStatusAsync(Id, "Pause");
        await Task.Delay(600); // the run lets go and stores its last progress
        paused = await s.WaitForStatusAsync(Id, "Pause");

        Assert.Null(paused.Eta);
        Assert.InRange(paused.Progress!.Value, 25, 99);
        var pausedEvent = await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("deviceReleaseStatus").GetString() == "Pause");
        Assert.Equal(JsonValueKind.Null, pausedEvent.Json.GetProperty("eta").ValueKind);
        var (_, cli, _) = await CliProcess.RunAsync(s.Agent.BaseAddress, "status", Id);
        Assert.Contains("Pause", cli);
        Assert.DoesNotContain("eta", cli);

        // Resume and watch both the API (polled fast) and the stream: never below where it paused, never 0 %.
        var polled = new List<double>();
        using var stop = new CancellationTokenSource();
        var poller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var now = await s.Agent.Client.GetFromJsonAsync<JsonElement>($"/api/v2/device/releases/{Uri.EscapeDataString(Id)}");
                if (now.GetProperty("progress").ValueKind == JsonValueKind.Number)
                {
                    lock (polled)
                    {
                        polled.Add(now.GetProperty("progress").GetDouble());
                    }
                }

                await Task.Delay(10);
            }
        });
        var afterPause = stream.Received.Count;
        await s.ControlOkAsync("resume", Id);
        var done = await s.WaitDownloadedAsync(Id, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await poller;

        Assert.Equal(ReleaseState.Downloaded, done.State);
        await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("state").GetString() == "downloaded");
        var streamed = stream.Received.Skip(afterPause).Where(e => e.Event == "message").Select(e => e.Json.GetProperty("progress").GetDouble()).ToList();
        Assert.All(streamed, p => Assert.True(p >= paused.Progress, $"the stream showed {p}% after a pause at {paused.Progress}%: {string.Join(", ", streamed)}"));
        lock (polled)
        {
            Assert.True(polled.Count > 20);
            Assert.All(polled, p => Assert.True(p >= paused.Progress, $"the API showed {p}% after a pause at {paused.Progress}%"));
        }
    }

    [Fact]
    public async Task PausedSoonAfterStarting_ThePauseEventShowsTheProgressReachedThen_NotAnOlderStoredOne()
    {
        await using var s = await DeliveryScenario.CreateAsync();
        var file = s.Origin.AddFile("app.bin", 8_000_000, seed: 12);
        file.Faults.ThrottleBytesPerSecond = 1_000_000;
        s.Catalog.AddRaw(CatalogEntries.Http(Id, file));
        await s.StartAgentAsync();
        await using var stream = await SseClient.ConnectAsync(s.Agent.Client, "/api/v2/events/delivery");

        await s.ControlOkAsync("start", Id);
        // Progress moves (live) well before the runner stores it (every 2 s).
        var moving = await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("progress").ValueKind == JsonValueKind.Number
            && e.Json.GetProperty("progress").GetDouble() >= 3);
        await s.ControlOkAsync("pause", Id);
        var paused = await stream.WaitForAsync(e => e.Event == "message" && e.Json.GetProperty("deviceReleaseStatus").GetString() == "Pause");

        var lastShown = stream.Events.TakeWhile(e => e != paused).Where(e => e.Event == "message").Select(e => e.Json.GetProperty("progress").GetDouble()).Last();
        Assert.True(paused.Json.GetProperty("progress").GetDouble() >= lastShown,
            $"the pause event shows {paused.Json.GetProperty("progress")}% after {lastShown}% was shown: {stream.Describe()}");
        Assert.True(lastShown >= moving.Json.GetProperty("progress").GetDouble());
    }
}
