using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static GetApp.Agent.CommandLine.HumanOutput;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// <c>events [offering|delivery|deploy|notifications|getconfig|agent]</c>: tails the agent's event streams (all of them
/// by default), one human line per event, or one JSON line per event with <c>--json</c>
/// (<c>{"id", "event", "data"}</c>). Starts with the current state (the stream's snapshot), then follows changes;
/// reconnects by itself with <c>Last-Event-ID</c> when the connection breaks, as a browser's EventSource does.
/// </summary>
internal static class EventsCommand
{
    private static readonly string[] Streams = ["offering", "delivery", "deploy", "notifications", "getconfig", "agent"];

    /// <summary>Three pings missed: the connection is dead even if the socket does not say so.</summary>
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(35);

    public static Command Create()
    {
        var stream = new Argument<string?>("stream")
        {
            Description = "offering, delivery, deploy, notifications, getconfig or agent (default: all).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = ClientCommands.WithClientOptions(new Command("events", "Follow the agent's event streams live (Ctrl+C to stop).") { stream });
        command.SetAction((result, ct) => ClientCommands.RunAsync(result, client =>
        {
            var name = result.GetValue(stream);
            if (name is not null && !Streams.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw AgentClientException.Usage($"unknown event stream '{name}' (known: {string.Join(", ", Streams)})");
            }

            return FollowAsync(client, name?.ToLowerInvariant(), result.GetValue(ClientCommands.Json), ct);
        }));
        return command;
    }

    private static async Task<int> FollowAsync(AgentClient client, string? stream, bool json, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = client.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var path = stream is null ? "/api/v2/events" : $"/api/v2/events?streams={stream}";
        string? lastEventId = null;
        var connectedOnce = false;
        var failures = 0;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (client.Secret is not null)
            {
                request.Headers.Add("Device-Auth", client.Secret);
            }

            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    throw AgentClient.FromAnswer((int)response.StatusCode, TryParse(text));
                }

                connectedOnce = true;
                failures = 0;
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                lastEventId = await ReadAsync(body, json, lastEventId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                if (!connectedOnce)
                {
                    throw AgentClient.Unreachable(client.BaseAddress, e.Message);
                }

                await Console.Error.WriteLineAsync($"getapp-agent: the event stream broke ({e.Message}); reconnecting").ConfigureAwait(false);
            }

            // The stream ended (the agent stopped, or dropped this client): come back as EventSource does, a little later each time.
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, ++failures)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads events until the stream ends; returns the last event id seen.</summary>
    private static async Task<string?> ReadAsync(Stream body, bool json, string? lastEventId, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        string? id = null;
        string? name = null;
        var data = new StringBuilder();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (true)
        {
            idle.CancelAfter(IdleTimeout);
            var line = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
            if (line is null)
            {
                return lastEventId;
            }

            if (line.Length == 0)
            {
                if (id is not null)
                {
                    lastEventId = id;
                }

                if (data.Length > 0)
                {
                    Print(id, name ?? "message", data.ToString(), json);
                }

                (id, name) = (null, null);
                data.Clear();
                continue;
            }

            if (line[0] == ':')
            {
                continue; // a comment: the keep-alive ping
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    name = value;
                    break;
                case "data":
                    data.Append(data.Length > 0 ? "\n" : "").Append(value);
                    break;
            }
        }
    }

    private static void Print(string? id, string name, string data, bool json)
    {
        var payload = TryParse(data);
        if (json)
        {
            Console.WriteLine(new JsonObject { ["id"] = id, ["event"] = name, ["data"] = payload ?? JsonValue.Create(data) }.ToJsonString());
            return;
        }

        var time = DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var text = name switch
        {
            "reset" => null, // the snapshot that follows is the current state; a person needs no marker
            "delivery" => $"{Text(payload?["release"]?["id"])}  {ProgressLine(payload)}{ErrorText(payload?["errMsg"])}",
            "deploy" => $"{Text(payload?["catalogId"])}  {Text(payload?["status"])}{ProgressText(payload?["progress"])}{ErrorText(payload?["messageLog"])}",
            "offering" => Offering(payload),
            "notification" => $"{Text(payload?["severity"]).ToUpperInvariant()} {Text(payload?["category"])}: {Text(payload?["message"])}",
            "agent" => Summary(payload),
            _ => data,
        };
        if (text is not null)
        {
            Console.WriteLine($"{time} {name,-12} {text}");
        }
    }

    private static string Offering(JsonNode? payload)
    {
        var offers = (payload as JsonArray ?? []).Select(o => Text(o?["release"]?["id"]) + (Text(o?["state"]) == "push" ? " (push)" : "")).ToList();
        return offers.Count == 0 ? "nothing offered" : $"{offers.Count} offered: {string.Join(", ", offers)}";
    }

    private static string Summary(JsonNode? s)
    {
        var upstream = s?["upstream"];
        var free = s?["disk"]?["freeBytes"] is JsonValue f && f.TryGetValue<long>(out var bytes) ? Bytes(bytes) + " free" : "free space unknown";
        var low = s?["disk"]?["low"] is JsonValue l && l.TryGetValue<bool>(out var isLow) && isLow ? " (low)" : "";
        var error = upstream?["state"] is JsonValue st && st.TryGetValue<string>(out var state) && state == "unreachable" && upstream["lastError"]?["message"] is { } message
            ? $" ({OneLine(Text(message))})" : "";
        return $"upstream {Text(upstream?["state"])}{error} · disk {free}{low} · {Text(s?["outbox"]?["pending"])} report(s) waiting";
    }

    private static string ProgressText(JsonNode? progress) =>
        progress is JsonValue p && p.TryGetValue<double>(out var value) ? " " + value.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "";

    private static string ErrorText(JsonNode? error) => Text(error) is { Length: > 0 } text ? $"  ({OneLine(text)})" : "";

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
