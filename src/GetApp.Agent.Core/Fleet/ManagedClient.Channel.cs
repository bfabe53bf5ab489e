using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>The command channel to the parent: open while the parent answers, its commands run one at a time.</summary>
public sealed partial class ManagedClient
{
    /// <summary>Keeps the channel open until it drops, falls silent, or the flags change; true once the parent's hello came.</summary>
    private async Task<bool> RunChannelAsync(ManagedStateDto registered, CancellationToken cancellationToken)
    {
        var path = "/api/cdn/events/managed/" + Uri.EscapeDataString(_device.DeviceId);
        var opened = await _client!.OpenStreamAsync("command channel", path, cancellationToken).ConfigureAwait(false);
        if (opened.Refused is { } refused)
        {
            _status = _status with { State = "refused", LastError = $"the parent refused the command channel ({refused.StatusCode}): {Message(refused.Body)}" };
            Refused(refused.StatusCode, Message(refused.Body));
            return false;
        }

        using var response = opened.Response!;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hello = false;
        string? eventName = null;
        var data = new StringBuilder();
        while (true)
        {
            silence.CancelAfter(_options.ChildSilenceLimit);
            string? line;
            try
            {
                line = await reader.ReadLineAsync(silence.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Fail($"nothing from the parent for {_options.ChildSilenceLimit.TotalSeconds:0.#} s (not even a ping): reconnecting");
                return hello;
            }

            if (line is null)
            {
                Fail("the parent closed the command channel");
                return hello;
            }

            if (line.Length > 0)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    eventName = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(line.AsSpan(5).TrimStart(' '));
                }

                // Comments (": ping"), ids and retry hints only keep the channel alive.
                continue;
            }

            if (data.Length > 0)
            {
                var payload = data.ToString();
                data.Clear();
                switch (eventName)
                {
                    case "hello":
                        var state = JsonSerializer.Deserialize(payload, FleetJson.Context.ManagedStateDto) ?? registered;
                        hello = true;
                        _lastRefusal = null;
                        _lastFailure = null;
                        _status = _status with { State = "connected", Mode = state.Mode, Orchestration = state.Orchestration, ConnectedAt = _timeProvider.GetUtcNow(), LastError = null };
                        LogConnected(state.ParentId, state.Mode, state.Orchestration.Status ?? "none");
                        await ApplyOrchestrationAsync(state.Orchestration, cancellationToken).ConfigureAwait(false);
                        Release(_resultsWake);
                        break;
                    case "orchestration":
                        var orchestration = JsonSerializer.Deserialize(payload, FleetJson.Context.OrchestrationDto);
                        if (orchestration is not null)
                        {
                            _status = _status with
                            {
                                Orchestration = orchestration,
                                Mode = orchestration.Status == "accepted" ? "orchestrated" : _flags.ReactiveMode ? "reactive" : "none",
                            };
                            await ApplyOrchestrationAsync(orchestration, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                    case "command":
                        if (JsonSerializer.Deserialize(payload, FleetJson.Context.ManagedCommandDto) is { CommandId.Length: > 0 } command)
                        {
                            await _runner.AcceptAsync(command, registered.ParentId, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                }
            }

            eventName = null;
        }
    }
}
