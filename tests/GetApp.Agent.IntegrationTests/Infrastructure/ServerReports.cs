using System.Globalization;
using System.Text.Json.Nodes;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>Reading the status reports a <see cref="GetAppServerDouble"/> accepted.</summary>
public static class ServerReports
{
    public static bool Is(JsonObject report, string catalogId, string field, string status) =>
        report["catalogId"]!.GetValue<string>() == catalogId && report[field]!.GetValue<string>() == status;

    /// <summary>The <paramref name="field"/> (deliveryStatus or deployStatus) of each report of a release, in arrival order.</summary>
    public static string[] Statuses(IEnumerable<JsonObject> reports, string catalogId, string field) =>
        [.. reports.Where(r => r["catalogId"]!.GetValue<string>() == catalogId).Select(r => r[field]!.GetValue<string>())];

    /// <summary>Across both report kinds, in the order the server received them, <c>currentTime</c> only goes up.</summary>
    public static void AssertIncreasingCurrentTime(GetAppServerDouble server)
    {
        var times = server.Received.Where(r => r.Path.EndsWith("Status", StringComparison.Ordinal) && r.Status == 201)
            .Select(r => DateTimeOffset.Parse(r.Body!["currentTime"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(times);
        for (var i = 1; i < times.Count; i++)
        {
            Assert.True(times[i] > times[i - 1], $"currentTime #{i} ({times[i]:O}) is not after #{i - 1} ({times[i - 1]:O})");
        }
    }
}
