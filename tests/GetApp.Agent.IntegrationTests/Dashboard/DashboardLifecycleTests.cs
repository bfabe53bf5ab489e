using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using static GetApp.Agent.Core.Releases.ReleaseState;
using DS = GetApp.Agent.Core.Releases.DeliveryStatus;
using DState = GetApp.Agent.Core.Releases.DeliveryState;
using Dep = GetApp.Agent.Core.Releases.DeploymentStatus;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// The page decides which buttons a release gets from what the API shows of it (the API lists no allowed actions), with
/// a JS mirror of the lifecycle table (<c>Dashboard/www/lifecycle.js</c>). This keeps the mirror and
/// <see cref="ReleaseLifecycle"/> in step: for every position a release can be in, the page's script, run in the
/// browser, offers exactly the actions the C# table allows.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardLifecycleTests(DashboardBrowser browser)
{
    /// <summary>The page's buttons and the lifecycle actions behind them (what the API routes run).</summary>
    private static readonly (string Button, ReleaseAction Action)[] Buttons =
    [
        ("deliver", ReleaseAction.StartDelivery),
        ("pause", ReleaseAction.PauseDelivery),
        ("resume", ReleaseAction.ResumeDelivery),
        ("cancel", ReleaseAction.CancelDelivery),
        ("delete", ReleaseAction.DeleteDelivery),
        ("deploy", ReleaseAction.StartDeploy),
        ("uninstall", ReleaseAction.Uninstall),
    ];

    /// <summary>Every position a release can be in (a delivery always has a status, a deploy its deployment status).</summary>
    private static readonly ReleasePosition[] AllPositions =
    [
        new(Offering, null, null, null),
        new(Push, null, null, null),
        .. from state in new[] { DState.Prepare, DState.Download, DState.Validation, DState.Done }
           from status in Enum.GetValues<DS>()
           select new ReleasePosition(ReleaseState.Delivery, state, status, null),
        new(Downloaded, DState.Done, DS.Done, null),
        .. from status in Enum.GetValues<Dep>()
           select new ReleasePosition(ReleaseState.Deploy, DState.Done, null, status),
        new(Installed, DState.Done, null, Dep.Done),
        new(Uninstalled, DState.Done, null, Dep.Uninstall),
        new(Deleted, null, null, null),
    ];

    [BrowserFact]
    public async Task PageActions_ForEveryPosition_AreExactlyWhatReleaseLifecycleAllows()
    {
        await using var agent = await TestAgent.StartAsync();
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync();
        var now = DateTimeOffset.UtcNow;

        // What the page sees of each position: the release's status as the API serialises it (an offer as the offering does).
        var shown = new JsonArray();
        var expected = new List<string[]>();
        foreach (var position in AllPositions)
        {
            var record = new ReleaseRecord
            {
                CatalogId = "7.app@1.0.0",
                Release = TestCatalog.Release("7.app@1.0.0"),
                Position = position,
                DiscoveredAt = now,
                UpdatedAt = now,
            };
            shown.Add(OfferingList.IsOffer(record)
                ? JsonSerializer.SerializeToNode(ReleaseStatusMapper.ToOfferingDto(record), AgentJson.Context.OfferingItemDto)
                : JsonSerializer.SerializeToNode(ReleaseStatusMapper.ToStatusDto(record, null), AgentJson.Context.DeviceReleaseStatusDto));
            expected.Add([.. Buttons.Where(b => ReleaseLifecycle.TryMove(position, b.Action, out _, out _)).Select(b => b.Button)]);
        }

        var actual = await page.Page.EvaluateAsync<string[][]>(
            "async json => { const { allowedActions } = await import('./dashboard/lifecycle.js'); return JSON.parse(json).map(allowedActions); }",
            shown.ToJsonString());

        Assert.Equal(AllPositions.Length, actual.Length);
        for (var i = 0; i < AllPositions.Length; i++)
        {
            Assert.True(expected[i].SequenceEqual(actual[i]),
                $"{AllPositions[i]}: the lifecycle allows [{string.Join(", ", expected[i])}], the page offers [{string.Join(", ", actual[i])}]");
        }

        // The table is not trivially empty or full: every button appears somewhere, and somewhere not.
        Assert.All(Buttons, b => Assert.Contains(actual, a => a.Contains(b.Button)));
        Assert.All(Buttons, b => Assert.Contains(actual, a => !a.Contains(b.Button)));
        page.AssertNoScriptErrors();
    }
}
