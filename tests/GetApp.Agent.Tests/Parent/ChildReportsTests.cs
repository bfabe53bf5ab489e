using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Reporting;

namespace GetApp.Agent.Tests.Parent;

public class ChildReportsTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NextCurrentTime_KeepsTheChildsTimeWhenLater_ElseOneMillisecondAfterTheLast()
    {
        Assert.Equal(Now, ChildReports.NextCurrentTime(Now, null, Now.AddDays(1)));
        Assert.Equal(Now, ChildReports.NextCurrentTime(Now, Now.AddSeconds(-1), Now));
        Assert.Equal(Now.AddMilliseconds(1), ChildReports.NextCurrentTime(Now, Now, Now));
        Assert.Equal(Now.AddMilliseconds(1), ChildReports.NextCurrentTime(Now.AddHours(-1), Now, Now));
        Assert.Equal(Now.AddDays(1), ChildReports.NextCurrentTime(null, null, Now.AddDays(1)));
        Assert.Equal(Now, ChildReports.NextCurrentTime(Now.AddTicks(5000), null, Now)); // whole milliseconds, as on the wire
    }

    [Theory]
    [InlineData("Start", null, "delivery")]
    [InlineData("Download", null, "delivery")]
    [InlineData("Done", null, "downloaded")]
    [InlineData("Done", "Download", "delivery")]
    [InlineData("Error", null, "delivery")]
    [InlineData("Cancelled", null, "delivery")]
    [InlineData("Deleted", null, "deleted")]
    public void DeliveryReport_MovesTheChildsReleaseAsTheServerDoes(string status, string? phase, string expected)
    {
        // As parsed from a request body (JSON numbers read as doubles).
        var report = JsonNode.Parse($$"""{"deliveryStatus":"{{status}}","downloadData":40}""")!.AsObject();
        if (phase is not null)
        {
            report["state"] = phase;
        }

        var release = ChildReports.Apply(ReportKind.Delivery, status, report, null, "c", "7.a@1", Now);
        Assert.Equal(expected, release.State);
        Assert.Equal(status == "Error" ? "Error" : null, release.Error);
        Assert.Equal(status == "Done" && phase is null ? 100.0 : 40.0, release.Progress);
    }

    [Theory]
    [InlineData("Start", "deploy")]
    [InlineData("Installing", "deploy")]
    [InlineData("Error", "deploy")]
    [InlineData("Done", "installed")]
    [InlineData("Uninstall", "uninstalled")]
    public void DeployReport_MovesTheChildsReleaseAsTheServerDoes(string status, string expected)
    {
        var known = new ChildRelease("c", "7.a@1", "downloaded", "Done", null, 100, null, Now);
        var release = ChildReports.Apply(ReportKind.Deploy, status, JsonNode.Parse("""{"progress":30}""")!.AsObject(), known, "c", "7.a@1", Now);
        Assert.Equal(expected, release.State);
        Assert.Equal(status, release.DeployStatus);
        Assert.Equal("Done", release.DeliveryStatus);
    }

    [Fact]
    public void ARunningDownload_CarriesItsSpeedAndEta_WhichGoWhenItStops()
    {
        var download = JsonNode.Parse("""{"deliveryStatus":"Download","downloadData":40,"downloadSpeed":250000.5,"downloadEstimateTime":12400}""")!.AsObject();
        var running = ChildReports.Apply(ReportKind.Delivery, "Download", download, null, "c", "7.a@1", Now);
        Assert.Equal(250000.5, running.Speed);
        Assert.Equal(12, running.Eta); // GetApp sends milliseconds; seconds are kept

        var paused = ChildReports.Apply(ReportKind.Delivery, "Pause", JsonNode.Parse("""{"deliveryStatus":"Pause","downloadData":41}""")!.AsObject(), running, "c", "7.a@1", Now);
        Assert.Null(paused.Speed);
        Assert.Null(paused.Eta);
        var installing = ChildReports.Apply(ReportKind.Deploy, "Installing", JsonNode.Parse("""{"progress":30,"deployEstimateTime":5000}""")!.AsObject(), paused, "c", "7.a@1", Now);
        Assert.Equal(5, installing.Eta);
        Assert.Null(installing.Speed);
    }

    [Fact]
    public void Check_AcceptsWhatAGetAppAgentSends()
    {
        var report = JsonNode.Parse("""
            {"deviceId":"c","catalogId":"7.a@1.0.0","itemKey":"7.a@1.0.0","deliveryStatus":"Download","type":"software",
             "downloadStart":"2026-06-01T12:00:00.000Z","downloadData":12.5,"bitNumber":1000,"downloadSpeed":100.5,
             "downloadEstimateTime":3000,"currentTime":"2026-06-01T12:00:01.000Z","state":"Download"}
            """)!.AsObject();
        Assert.Empty(ChildReports.Check(ReportKind.Delivery, report));
    }
}
