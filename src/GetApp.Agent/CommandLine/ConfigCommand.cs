using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using static GetApp.Agent.CommandLine.HumanOutput;

namespace GetApp.Agent.CommandLine;

/// <summary><c>config get|set|reset</c>: the live settings, as a table for a person, as the API's JSON with <c>--json</c>.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var get = ClientCommands.WithClientOptions(new Command("get", "Show every live setting."));
        get.SetAction((result, ct) => ClientCommands.RunAsync(result, async c =>
        {
            Print(result, await c.GetAsync("/api/v2/agent/configs", ct).ConfigureAwait(false), PrintSettings);
            return ExitCodes.Ok;
        }));

        var pairs = new Argument<string[]>("name=value") { Description = "Settings to change, e.g. maxParallelDeliveries=2 deliveryAutoTrigger=true", Arity = ArgumentArity.OneOrMore };
        var set = ClientCommands.WithClientOptions(new Command("set", "Change live settings (all or nothing).") { pairs });
        set.SetAction((result, ct) => ClientCommands.RunAsync(result, async c =>
        {
            var body = new JsonObject();
            foreach (var pair in result.GetValue(pairs)!)
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    throw AgentClientException.Usage($"'{pair}' is not name=value");
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

            var names = body.Select(p => p.Key).ToList();
            Print(result, await c.PutAsync("/api/v2/agent/configs", body, ct).ConfigureAwait(false), answer => PrintChangedSettings(answer, names));
            return ExitCodes.Ok;
        }));

        var field = new Argument<string>("name") { Description = "The setting to put back to its default." };
        var reset = ClientCommands.WithClientOptions(new Command("reset", "Put one live setting back to its default.") { field });
        reset.SetAction((result, ct) => ClientCommands.RunAsync(result, async c =>
        {
            var name = result.GetValue(field)!;
            Print(result, await c.DeleteAsync($"/api/v2/agent/configs/{Uri.EscapeDataString(name)}", ct).ConfigureAwait(false),
                answer => PrintChangedSettings(answer, [name], " (default)"));
            return ExitCodes.Ok;
        }));

        return new Command("config", "Read and change the agent's live settings.") { get, set, reset };
    }

    private static void Print(ParseResult result, JsonNode? answer, Action<JsonNode?> human)
    {
        if (result.GetValue(ClientCommands.Json))
        {
            PrintJson(answer);
        }
        else
        {
            human(answer);
        }
    }
}
