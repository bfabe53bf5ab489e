using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>The outcomes of the parent's commands, sent until the parent takes them.</summary>
public sealed partial class ManagedClient
{
    /// <summary>Sends the outcomes the parent has not acknowledged, oldest first, whenever there are some.</summary>
    private async Task SendResultsAsync(CancellationToken stoppingToken)
    {
        var backoff = _options.ReconnectMin;
        while (!stoppingToken.IsCancellationRequested)
        {
            var failed = false;
            try
            {
                foreach (var entry in _client is null ? [] : await _log.UnreportedAsync(stoppingToken).ConfigureAwait(false))
                {
                    var body = new JsonObject
                    {
                        ["deviceId"] = _device.DeviceId,
                        ["commandId"] = entry.CommandId,
                        ["status"] = FleetActions.NameOf(entry.Status),
                        ["message"] = entry.Message,
                    };
                    var answer = await _client!.SendAsync("command result", HttpMethod.Post, ResultPath, Encoding.UTF8.GetBytes(body.ToJsonString()), stoppingToken).ConfigureAwait(false);
                    if (!answer.IsSuccess)
                    {
                        // The parent does not know the command (it was forgotten there) or refuses the report: telling it again would not help.
                        LogResultRefused(entry.CommandId, answer.StatusCode, Message(answer.Body));
                    }

                    await _log.MarkReportedAsync(entry.CommandId, entry.Status, stoppingToken).ConfigureAwait(false);
                }

                backoff = _options.ReconnectMin;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is UpstreamException or Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                failed = true;
                LogResultsWaiting(e.Message);
            }

            await WaitAsync(_resultsWake, failed ? Jittered(backoff) : Timeout.InfiniteTimeSpan, stoppingToken).ConfigureAwait(false);
            if (failed)
            {
                backoff = Next(backoff);
            }
        }
    }
}
