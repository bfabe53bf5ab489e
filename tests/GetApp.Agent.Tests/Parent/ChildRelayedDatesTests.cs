using System.Globalization;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Upstream.GetAppServer;
using GetApp.Agent.Tests.Fleet;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Parent;

/// <summary>
/// A parent moves its children's dates into the upstream's clock with its estimate of the offset. When that estimate moves
/// back between two relays (a narrower interval, or a clock that was set), the dates of one child must still not go back,
/// and once it has settled, dates are relayed as converted: none is pushed into the future.
/// </summary>
public sealed class ChildRelayedDatesTests : IDisposable
{
    private const string App = "7.site-app@1.0.0";
    private static readonly TimeSpan Ahead = TimeSpan.FromHours(2);

    private readonly FleetTestDatabase _db = FleetTestDatabase.CreateAsync().GetAwaiter().GetResult();
    private readonly ServerClock _clock;

    public ChildRelayedDatesTests()
    {
        _clock = new ServerClock(_db.Clock);
        T0 = _db.Clock.Now;
    }

    private DateTimeOffset T0 { get; }

    public void Dispose() => _db.Dispose();

    /// <summary>An answer whose Date says the server is <paramref name="offset"/> ahead (a one-second interval from there).</summary>
    private void ServerAnswers(TimeSpan offset) => _clock.Observe(_db.Clock.Now, _db.Clock.Now, _db.Clock.Now + offset);

    [Fact]
    public async Task Reports_OffsetMovesBackBetweenTwo_NoDateOfTheReleaseGoesBack_AndOnceSettledNoneIsInTheFuture()
    {
        var reports = new ChildReports(_db.Database, new LiveSettings(_db.Database), _db.Clock, NullLogger<ChildReports>.Instance, serverClock: _clock);
        var start = T0.AddSeconds(-10);
        ServerAnswers(Ahead); // the estimate: 2 h 0.5 s ahead
        Assert.Null(await reports.AcceptAsync(ReportKind.Delivery, Report("Start", start, T0), "127.0.0.1", CancellationToken.None));

        // A later answer that does not overlap (the server's clock was set back 5 s): the estimate moves back 5 s.
        _db.Clock.Now = T0.AddMilliseconds(200);
        ServerAnswers(Ahead - TimeSpan.FromSeconds(5));
        Assert.Null(await reports.AcceptAsync(ReportKind.Delivery, Report("Download", start, T0.AddMilliseconds(200)), "127.0.0.1", CancellationToken.None));
        Assert.Null(await reports.AcceptAsync(ReportKind.Delivery, Report("Error", start, T0.AddMilliseconds(300), stop: T0.AddMilliseconds(300)), "127.0.0.1", CancellationToken.None));

        var relayed = await RelayedAsync();
        var first = relayed[0];
        var second = relayed[1];
        Assert.Equal(Date(first, "downloadStart"), Date(second, "downloadStart"));
        Assert.Equal(Date(first, "currentTime").AddMilliseconds(1), Date(second, "currentTime"));
        Assert.Equal(Date(second, "currentTime").AddMilliseconds(1), Date(relayed[2], "currentTime"));
        Assert.True(Date(relayed[2], "downloadStop") >= Date(first, "downloadStart"));

        // Settled: a report a minute later carries its dates as converted, with the new offset, not raised to the old one.
        _db.Clock.Now = T0.AddMinutes(1);
        var stop = T0.AddMinutes(1);
        Assert.Null(await reports.AcceptAsync(ReportKind.Delivery, Report("Error", start, stop, stop: stop), "127.0.0.1", CancellationToken.None));
        var settled = (await RelayedAsync())[3];
        var offset = _clock.Offset!.Value;
        Assert.Equal(Truncated(stop + offset), Date(settled, "currentTime"));
        Assert.Equal(Truncated(stop + offset), Date(settled, "downloadStop"));
        Assert.Equal(Date(first, "downloadStart"), Date(settled, "downloadStart")); // the same start never goes back either
    }

    [Fact]
    public async Task Reports_OfTwoReleases_EachKeepsItsOwnFloor()
    {
        var reports = new ChildReports(_db.Database, new LiveSettings(_db.Database), _db.Clock, NullLogger<ChildReports>.Instance, serverClock: _clock);
        ServerAnswers(Ahead);
        Assert.Null(await reports.AcceptAsync(ReportKind.Delivery, Report("Start", T0, T0), null, CancellationToken.None));
        ServerAnswers(Ahead - TimeSpan.FromSeconds(5));
        var other = Report("Start", T0.AddSeconds(-1), T0.AddSeconds(-1));
        other["catalogId"] = "7.other@1.0.0";
        other["itemKey"] = "7.other@1.0.0";
        Assert.Null(await reports.AcceptAsync(ReportKind.Delivery, other, null, CancellationToken.None));

        var relayed = await RelayedAsync();
        // Another release of the same child is not raised to the first one's dates: only its own never go back.
        Assert.Equal(Truncated(T0.AddSeconds(-1) + _clock.Offset!.Value), Date(relayed[1], "currentTime"));
    }

    [Fact]
    public async Task Discovery_OffsetMovesBackBetweenTwo_SnapshotDateStillRises_AndOnceSettledIsAsConverted()
    {
        var registry = new ChildRegistry(_db.Database, new LiveSettings(_db.Database), _db.Clock);
        var message = Discovery(T0);
        await registry.RecordDiscoveryAsync(ChildDiscovery.FactsOf(message), null, CancellationToken.None);
        ServerAnswers(Ahead);
        var first = await ChildDiscovery.RelayedAsync(message, "child-1", registry, _clock, CancellationToken.None);
        Assert.Equal(Truncated(T0 + _clock.UpperBoundOffset), Date(first, "snapshotDate"));

        // The estimate narrows or is set back between the child's two discoveries, 300 ms apart.
        _db.Clock.Now = T0.AddMilliseconds(300);
        ServerAnswers(Ahead - TimeSpan.FromSeconds(5));
        var second = await ChildDiscovery.RelayedAsync(Discovery(T0.AddMilliseconds(300)), "child-1", registry, _clock, CancellationToken.None);
        Assert.Equal(Date(first, "snapshotDate").AddMilliseconds(1), Date(second, "snapshotDate"));
        Assert.Equal(Date(second, "snapshotDate"), Date((JsonObject)second["deviceData"]!, "snapshotDate"));

        // Settled: a minute later the date is the converted one, not the old estimate carried forward.
        var later = T0.AddMinutes(1);
        var third = await ChildDiscovery.RelayedAsync(Discovery(later), "child-1", registry, _clock, CancellationToken.None);
        Assert.Equal(Truncated(later + _clock.UpperBoundOffset), Date(third, "snapshotDate"));
        Assert.Equal(T0.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), message["snapshotDate"]!.GetValue<string>()); // the child's own message is left as it was
    }

    [Fact]
    public void NotBefore_RaisesOnlyADateThatWouldGoBack()
    {
        Assert.Equal(T0, ChildRegistry.NotBefore(T0, null));
        Assert.Equal(T0, ChildRegistry.NotBefore(T0, T0.AddSeconds(-1)));
        Assert.Equal(T0.AddSeconds(1), ChildRegistry.NotBefore(T0, T0.AddSeconds(1)));
        Assert.Equal(T0, ChildRegistry.NotBefore(T0.AddTicks(5000), null)); // whole milliseconds, as on the wire
    }

    private async Task<List<JsonObject>> RelayedAsync()
    {
        await using var connection = await _db.Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM outbox WHERE device_id IS NOT NULL ORDER BY id;";
        var list = new List<JsonObject>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add(JsonNode.Parse(reader.GetString(0))!.AsObject());
        }

        return list;
    }

    private static JsonObject Report(string status, DateTimeOffset downloadStart, DateTimeOffset currentTime, DateTimeOffset? stop = null)
    {
        var report = new JsonObject
        {
            ["deviceId"] = "child-1",
            ["catalogId"] = App,
            ["itemKey"] = App,
            ["deliveryStatus"] = status,
            ["type"] = "software",
            ["downloadStart"] = Wire(downloadStart),
            ["currentTime"] = Wire(currentTime),
        };
        if (stop is { } s)
        {
            report["downloadStop"] = Wire(s);
        }

        return report;
    }

    private static JsonObject Discovery(DateTimeOffset snapshot) => new()
    {
        ["id"] = "child-1",
        ["discoveryType"] = "get-app",
        ["snapshotDate"] = Wire(snapshot),
        ["deviceData"] = new JsonObject { ["snapshotDate"] = Wire(snapshot) },
        ["softwareData"] = new JsonObject { ["components"] = new JsonArray() },
    };

    private static string Wire(DateTimeOffset date) => date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Date(JsonObject node, string field) =>
        DateTimeOffset.Parse(node[field]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static DateTimeOffset Truncated(DateTimeOffset date) => DateTimeOffset.FromUnixTimeMilliseconds(date.ToUnixTimeMilliseconds());
}
