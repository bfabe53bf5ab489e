using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// The client verbs: talk to a running agent over its local API. Human-readable by default, <c>--json</c> for scripts.
/// </summary>
internal static class ClientCommands
{
    private static readonly Option<string> AgentUrl = new("--agent-url")
    {
        Description = "The agent's local API (default http://127.0.0.1:2220; env GETAPP_AGENT_URL).",
    };

    private static readonly Option<string> Secret = new("--device-secret")
    {
        Description = "Sent as Device-Auth, for an agent bound beyond loopback (env DEVICE_SECRET).",
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print the API's JSON answer." };

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEnumerable<Command> Create()
    {
        var id = new Argument<string>("catalog-id") { Description = "The release's catalog id, e.g. 7.demo-app@1.0.0" };

        yield return Verb("releases", "List releases delivered or later on this device.", [], (c, _, ct) => c.GetAsync("/api/v2/device/releases", ct), PrintReleases);
        yield return Verb("offering", "List what the upstream offers or pushes, not delivered yet.", [], (c, _, ct) => c.GetAsync("/api/v2/device/offering", ct), PrintOffering);
        yield return Verb("discover", "Ask the upstream for offers now.", [], (c, _, ct) => c.PostAsync("/api/v2/triggers/discover-component", ct), PrintDiscovery);
        yield return Verb("device", "Show the device's identity and data.", [], (c, _, ct) => c.GetAsync("/api/v2/device", ct), PrintJson);
        yield return StatusCommand(id);
        yield return Verb("deliver", "Start (or restart) the delivery of a release and its dependencies.", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/start/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("pause", "Pause a delivery (its bytes are kept).", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/pause/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("resume", "Resume a paused delivery.", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/resume/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("cancel", "Cancel a delivery (its partial bytes are discarded).", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/cancel/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("delete", "Delete a delivered or uninstalled release's files.", [id], (c, r, ct) => c.DeleteAsync($"/api/v2/delivery/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("deploy", "Install a delivered release (its dependencies are installed with it).", [id], (c, r, ct) => c.PostAsync($"/api/v2/deploy/start/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintJson);
        yield return Verb("uninstall", "Uninstall an installed release.", [id], (c, r, ct) => c.PostAsync($"/api/v2/deploy/uninstall/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintJson);
        yield return ConfigCommand();
    }

    /// <summary>Adds the options every client verb takes (the agent's URL, its secret, --json).</summary>
    private static T WithClientOptions<T>(T command)
        where T : Command
    {
        command.Options.Add(AgentUrl);
        command.Options.Add(Secret);
        command.Options.Add(Json);
        return command;
    }

    private static Command Verb(string name, string description, Symbol[] arguments,
        Func<AgentClient, ParseResult, CancellationToken, Task<JsonNode?>> call, Action<JsonNode?> print)
    {
        var command = WithClientOptions(new Command(name, description));
        foreach (var argument in arguments.OfType<Argument>())
        {
            command.Arguments.Add(argument);
        }

        command.SetAction((result, ct) => RunAsync(result, async client =>
        {
            var answer = await call(client, result, ct).ConfigureAwait(false);
            var printer = result.GetValue(Json) ? PrintJson : print;
            printer(answer);
        }));
        return command;
    }

    private static Command StatusCommand(Argument<string> id)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the release live until it stops moving." };
        var command = WithClientOptions(new Command("status", "Show one release's status (the seed endpoint).") { id, watch });
        command.SetAction((result, ct) => RunAsync(result, async client =>
        {
            var path = $"/api/v2/device/releases/{AgentClient.Release(result.GetValue(id)!)}";
            if (!result.GetValue(watch))
            {
                var answer = await client.GetAsync(path, ct).ConfigureAwait(false);
                Action<JsonNode?> printer = result.GetValue(Json) ? PrintJson : PrintRelease;
                printer(answer);
                return;
            }

            while (true)
            {
                var answer = await client.GetAsync(path, ct).ConfigureAwait(false);
                Console.Write($"\r{ProgressLine(answer)}   ");
                if (!IsMoving(answer))
                {
                    Console.WriteLine();
                    PrintRelease(answer);
                    return;
                }

                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }));
        return command;
    }

    private static Command ConfigCommand()
    {
        var get = WithClientOptions(new Command("get", "Show every live setting."));
        get.SetAction((result, ct) => RunAsync(result, async c => PrintJson(await c.GetAsync("/api/v2/agent/configs", ct).ConfigureAwait(false))));

        var pairs = new Argument<string[]>("name=value") { Description = "Settings to change, e.g. maxParallelDeliveries=2 deliveryAutoTrigger=true", Arity = ArgumentArity.OneOrMore };
        var set = WithClientOptions(new Command("set", "Change live settings (all or nothing).") { pairs });
        set.SetAction((result, ct) => RunAsync(result, async c =>
        {
            var body = new JsonObject();
            foreach (var pair in result.GetValue(pairs)!)
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    throw new AgentClientException($"'{pair}' is not name=value", 1);
                }

                // A value that parses as JSON (numbers, true/false) is sent as such; anything else as a string.
                var raw = pair[(at + 1)..];
                JsonNode? value;
                try
                {
                    value = JsonNode.Parse(raw);
                }
                catch (JsonException)
                {
                    value = JsonValue.Create(raw);
                }

                body[pair[..at]] = value;
            }

            PrintJson(await c.PutAsync("/api/v2/agent/configs", body, ct).ConfigureAwait(false));
        }));

        var field = new Argument<string>("name") { Description = "The setting to put back to its default." };
        var reset = WithClientOptions(new Command("reset", "Put one live setting back to its default.") { field });
        reset.SetAction((result, ct) => RunAsync(result, async c =>
            PrintJson(await c.DeleteAsync($"/api/v2/agent/configs/{Uri.EscapeDataString(result.GetValue(field)!)}", ct).ConfigureAwait(false))));

        return new Command("config", "Read and change the agent's live settings.") { get, set, reset };
    }

    private static async Task<int> RunAsync(ParseResult result, Func<AgentClient, Task> work)
    {
        var url = result.GetValue(AgentUrl) ?? Environment.GetEnvironmentVariable("GETAPP_AGENT_URL") ?? "http://127.0.0.1:2220";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            await Console.Error.WriteLineAsync($"getapp-agent: '{url}' is not a URL").ConfigureAwait(false);
            return 2;
        }

        using var client = new AgentClient(uri, result.GetValue(Secret) ?? Environment.GetEnvironmentVariable("DEVICE_SECRET"));
        try
        {
            await work(client).ConfigureAwait(false);
            return 0;
        }
        catch (AgentClientException e)
        {
            await Console.Error.WriteLineAsync($"getapp-agent: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    private static void PrintJson(JsonNode? json) => Console.WriteLine(json is null ? "" : json.ToJsonString(Pretty));

    private static void PrintReleases(JsonNode? json)
    {
        var rows = json?.AsArray().Select(r => new[]
        {
            Text(r?["release"]?["id"]), Text(r?["state"]), Text(r?["deliveryState"]), Text(r?["deviceReleaseStatus"]), Percent(r?["progress"]), Text(r?["errMsg"]),
        }).ToList() ?? [];
        PrintTable(["CATALOG ID", "STATE", "PHASE", "STATUS", "PROGRESS", "ERROR"], rows, "no release is delivered or installed yet (see `getapp-agent offering`)");
    }

    private static void PrintOffering(JsonNode? json)
    {
        var rows = json?.AsArray().Select(r => new[]
        {
            Text(r?["release"]?["id"]), Text(r?["state"]), Text(r?["release"]?["displayName"]), string.Join(", ", r?["dependencies"]?.AsArray().Select(Text) ?? []),
        }).ToList() ?? [];
        PrintTable(["CATALOG ID", "OFFER", "NAME", "DEPENDS ON"], rows, "nothing is offered");
    }

    private static void PrintDiscovery(JsonNode? json)
    {
        var releases = json?["releases"]?.AsArray() ?? [];
        Console.WriteLine($"{releases.Count} release(s) offered:");
        foreach (var r in releases)
        {
            Console.WriteLine($"  {Text(r?["release"]?["id"])}{(r?["isPush"]?.GetValue<bool>() == true ? " (push)" : "")}");
        }
    }

    private static void PrintRelease(JsonNode? r)
    {
        Console.WriteLine($"{Text(r?["release"]?["id"])}: {ProgressLine(r)}");
        if (r?["errMsg"] is { } error)
        {
            Console.WriteLine($"  error: {Text(error)}");
        }

        if (r?["artsDirPath"] is { } arts)
        {
            Console.WriteLine($"  artifacts: {Text(arts)}");
        }
    }

    private static string ProgressLine(JsonNode? r)
    {
        var progress = r?["progress"] is JsonValue p ? p.GetValue<double>() : (double?)null;
        var bar = progress is { } v ? $" [{new string('#', (int)(v / 5)),-20}] {v,5:0.0}%" : "";
        var eta = r?["eta"] is JsonValue e ? $" eta {TimeSpan.FromSeconds(e.GetValue<long>()):g}" : "";
        var phase = r?["deliveryState"] is { } d && Text(r["state"]) == "delivery" ? $"/{Text(d)}" : "";
        return $"{Text(r?["state"])}{phase} {Text(r?["deviceReleaseStatus"])}{bar}{eta}";
    }

    private static bool IsMoving(JsonNode? r) =>
        (Text(r?["state"]), Text(r?["deviceReleaseStatus"])) is ("delivery", "Start" or "InProgress") or ("deploy", "Start" or "Installing" or "Continue");

    private static void PrintTable(string[] headers, List<string[]> rows, string empty)
    {
        if (rows.Count == 0)
        {
            Console.WriteLine(empty);
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static string Percent(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "";
}
