using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using static GetApp.Agent.CommandLine.HumanOutput;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// <c>status &lt;id&gt; [--watch]</c>. The exit code is the release's outcome: 3 when it is (or ended) in error, in delivery
/// or in deploy; with <c>--watch</c>, 4 when it stopped unfinished (paused, cancelled). <c>--watch</c> on a release that is
/// only offered waits until its delivery starts. On a terminal the watch line is redrawn in place; piped, it becomes plain
/// lines, one per change of position or every 5 % of progress.
/// </summary>
internal static class StatusCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static Command Create(Argument<string> id)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the release live until it stops moving; exit with its outcome." };
        var command = ClientCommands.WithClientOptions(new Command("status", "Show one release's status (the seed endpoint); exit 3 when it is in error.") { id, watch });
        command.SetAction((result, ct) => ClientCommands.RunAsync(result, async client =>
        {
            var catalogId = result.GetValue(id)!;
            var json = result.GetValue(ClientCommands.Json);
            if (!result.GetValue(watch))
            {
                var answer = await client.GetAsync(PathOf(catalogId), ct).ConfigureAwait(false);
                if (json)
                {
                    PrintJson(answer);
                }
                else
                {
                    PrintRelease(answer);
                }

                return IsError(answer) ? ExitCodes.ReleaseFailed : ExitCodes.Ok;
            }

            var final = await WatchAsync(client, catalogId, json, ct).ConfigureAwait(false);
            return Outcome(final);
        }));
        return command;
    }

    /// <summary>Polls until the release stops moving; returns its last status.</summary>
    private static async Task<JsonNode?> WatchAsync(AgentClient client, string catalogId, bool json, CancellationToken cancellationToken)
    {
        var line = new WatchLine(catalogId, json || Console.IsOutputRedirected);
        var rechecked = false;
        while (true)
        {
            JsonNode? answer;
            try
            {
                answer = await client.GetAsync(PathOf(catalogId), cancellationToken).ConfigureAwait(false);
            }
            catch (AgentClientException e) when (e.StatusCode == 404)
            {
                // Only offered: not a release of the device yet. Wait for its delivery (an unknown id fails as it should).
                var offer = await IsOfferedAsync(client, catalogId, cancellationToken).ConfigureAwait(false);
                if (offer is null)
                {
                    // Its delivery may have started between the two reads (no longer offered, now a release of the
                    // device): ask for its status once more before calling it unknown.
                    if (rechecked)
                    {
                        throw;
                    }

                    rechecked = true;
                    continue;
                }

                rechecked = false;

                if (!json)
                {
                    line.Waiting($"{offer}, waiting for its delivery to start");
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!IsMoving(answer))
            {
                if (json)
                {
                    PrintJson(answer);
                }
                else
                {
                    line.End();
                    PrintRelease(answer);
                }

                return answer;
            }

            if (!json)
            {
                line.Show(answer);
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>"offering"/"push" when the release is offered and not delivered yet, else null.</summary>
    private static async Task<string?> IsOfferedAsync(AgentClient client, string catalogId, CancellationToken cancellationToken)
    {
        var offering = await client.GetAsync("/api/v2/device/offering", cancellationToken).ConfigureAwait(false);
        var offer = (offering as JsonArray ?? []).FirstOrDefault(o => Text(o?["release"]?["id"]) == catalogId);
        return offer is null ? null : $"offered ({Text(offer["state"])})";
    }

    private static string PathOf(string catalogId) => $"/api/v2/device/releases/{AgentClient.Release(catalogId)}";

    private static bool IsError(JsonNode? r) => Text(r?["deviceReleaseStatus"]) == "Error";

    private static int Outcome(JsonNode? r) => Text(r?["deviceReleaseStatus"]) switch
    {
        "Error" => ExitCodes.ReleaseFailed,
        "Pause" or "Cancel" or "Cancelled" => ExitCodes.ReleaseStopped,
        _ => ExitCodes.Ok,
    };

    /// <summary>
    /// The live line: on a terminal redrawn in place (carriage return, the text, erase to the end of the line); otherwise
    /// a plain line whenever the position changes or progress moved 5 points.
    /// </summary>
    private sealed class WatchLine(string catalogId, bool plain)
    {
        private string? _lastPosition;
        private double _lastPercent = double.NegativeInfinity;
        private bool _open;

        public void Waiting(string text)
        {
            if (!plain)
            {
                Redraw(text);
            }
            else if (text != _lastPosition)
            {
                Console.WriteLine($"{catalogId}: {text}");
                _lastPosition = text;
            }
        }

        public void Show(JsonNode? release)
        {
            if (!plain)
            {
                Redraw(ProgressLine(release));
                return;
            }

            var position = PositionText(release);
            var percent = release?["progress"] is JsonValue p && p.TryGetValue<double>(out var value) ? value : (double?)null;
            if (position != _lastPosition || (percent is { } now && now - _lastPercent >= 5))
            {
                var progress = percent is { } shown ? " " + shown.ToString("0.0", CultureInfo.InvariantCulture) + "%" : "";
                Console.WriteLine($"{catalogId}: {position}{progress}{EtaText(release)}");
                _lastPosition = position;
                _lastPercent = percent ?? double.NegativeInfinity;
            }
        }

        public void End()
        {
            if (_open)
            {
                Console.Write("\r\u001b[K");
                _open = false;
            }
        }

        private void Redraw(string text)
        {
            Console.Write($"\r{catalogId}: {text}\u001b[K");
            _open = true;
        }
    }
}
