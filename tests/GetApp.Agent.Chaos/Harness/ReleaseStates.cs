using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>One release as the status API shows it.</summary>
public sealed record ReleaseStatus(string Id, string State, string? DeliveryState, string? Status, double? Progress, string? ErrMsg, string? ArtsDirPath)
{
    public override string ToString() =>
        $"{Id}: {State}/{DeliveryState ?? "-"}/{Status ?? "-"}{(Progress is { } p ? $" {p.ToString("0", CultureInfo.InvariantCulture)}%" : "")}{(ErrMsg is { Length: > 0 } e ? $" err={Shorten(e)}" : "")}";

    /// <summary>The release's files are on the device (delivered, deployed, installed or uninstalled with its files).</summary>
    public bool IsDelivered => State is "downloaded" or "deploy" or "installed" or "uninstalled";

    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public static ReleaseStatus From(JsonNode node) => new(
        node["release"]?["id"]?.GetValue<string>() ?? "?",
        node["state"]?.GetValue<string>() ?? "?",
        node["deliveryState"]?.GetValue<string>(),
        node["deviceReleaseStatus"]?.GetValue<string>(),
        node["progress"]?.GetValue<double>(),
        node["errMsg"]?.GetValue<string>(),
        node["artsDirPath"]?.GetValue<string>());
}

/// <summary>
/// What "a state a person can act on" means (docs/reliability.md, "Settled"): a release is settled when the agent will
/// not move it by itself any more and the position tells a person what to do. Transient positions are fine only while
/// the agent is working on them; a transient position that outlives the bound is a release nobody can act on.
/// </summary>
public static class ReleaseStates
{
    /// <summary>Null when the position is settled; else why it is not (transient, or an error without a reason).</summary>
    public static string? Unsettled(ReleaseStatus status, ChaosRelease? model)
    {
        switch (status.State, status.Status)
        {
            case ("delivery", "Start" or "InProgress"):
                return "delivery still running";
            case ("delivery" or "deploy", "Error") when string.IsNullOrWhiteSpace(status.ErrMsg):
                return "an Error without a reason (errMsg empty)";
            case ("deploy", "Start" or "Installing" or "Continue") when model is null || model.HasInstaller || model.Artifacts.Count == 0:
                // Agent-run installers and bundles are the agent's work; a release without an installer waits for a
                // third-party installer's report, which a person (or that installer) can always send.
                return "install still running";
            default:
                return null;
        }
    }

    public static async Task<IReadOnlyList<ReleaseStatus>> ListAsync(AgentUnderTest agent, CancellationToken cancellationToken = default)
    {
        using var response = await agent.Client.GetAsync("api/v2/device/releases", cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /api/v2/device/releases answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var array = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsArray();
        return [.. array.Select(n => ReleaseStatus.From(n!))];
    }

    /// <summary>The list, or empty when the agent cannot answer (a snapshot taken just before a kill).</summary>
    public static async Task<IReadOnlyList<ReleaseStatus>> ListAsyncOrEmpty(AgentUnderTest agent)
    {
        try
        {
            return await ListAsync(agent);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            return [];
        }
    }

    /// <summary>The status of one release, or null while it is not in delivery or later (404).</summary>
    public static async Task<ReleaseStatus?> GetAsync(AgentUnderTest agent, string id, CancellationToken cancellationToken = default)
    {
        using var response = await agent.Client.GetAsync($"api/v2/device/releases/{Uri.EscapeDataString(id)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET status of {id} answered {(int)response.StatusCode}: {body}");
        }

        return ReleaseStatus.From(JsonNode.Parse(body)!);
    }

    /// <summary>
    /// Polls until every release is settled, or the bound passes; returns the last statuses and the ones still
    /// unsettled (empty when all settled). The bound is generous: only a release nobody works on can exhaust it.
    /// </summary>
    public static async Task<(IReadOnlyList<ReleaseStatus> All, IReadOnlyList<(ReleaseStatus Status, string Why)> Unsettled)> WaitSettledAsync(
        AgentUnderTest agent, IReadOnlyDictionary<string, ChaosRelease> models, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            var all = await ListAsync(agent);
            var unsettled = all.Select(s => (Status: s, Why: Unsettled(s, models.GetValueOrDefault(s.Id))))
                .Where(x => x.Why is not null).Select(x => (x.Status, x.Why!)).ToList();
            if (unsettled.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return (all, unsettled);
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Waits until <paramref name="id"/> satisfies <paramref name="until"/>; null when the bound passed (the last status is returned through <paramref name="last"/>).</summary>
    public static async Task<ReleaseStatus?> WaitForAsync(AgentUnderTest agent, string id, Func<ReleaseStatus, bool> until, TimeSpan bound, Action<ReleaseStatus?>? last = null)
    {
        var deadline = DateTime.UtcNow + bound;
        ReleaseStatus? status = null;
        while (DateTime.UtcNow < deadline)
        {
            status = await GetAsync(agent, id);
            if (status is not null && until(status))
            {
                return status;
            }

            await Task.Delay(100);
        }

        last?.Invoke(status);
        return null;
    }
}
