using System.CommandLine;
using System.Text.Json.Nodes;
using static GetApp.Agent.CommandLine.HumanOutput;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// The client verbs: talk to a running agent over its local API. Human-readable by default, <c>--json</c> for scripts
/// (then stdout is one JSON document, the AppError on failure); exit codes in <see cref="ExitCodes"/>.
/// </summary>
internal static class ClientCommands
{
    internal static readonly Option<string> AgentUrl = new("--agent-url")
    {
        Description = "The agent's local API (default http://127.0.0.1:2220; env GETAPP_AGENT_URL).",
    };

    internal static readonly Option<string> Secret = new("--device-secret")
    {
        Description = "Sent as Device-Auth, for an agent bound beyond loopback (env GETAPP_DEVICE_SECRET or DEVICE_SECRET).",
    };

    internal static readonly Option<bool> Json = new("--json") { Description = "Print the API's JSON answer (and errors as JSON AppError bodies)." };

    public static IEnumerable<Command> Create()
    {
        var id = new Argument<string>("catalog-id") { Description = "The release's catalog id, e.g. 7.demo-app@1.0.0" };

        yield return Verb("releases", "List releases delivered or later on this device.", [], (c, _, ct) => c.GetAsync("/api/v2/device/releases", ct), PrintReleases);
        yield return Verb("offering", "List what the upstream offers or pushes, not delivered yet.", [], (c, _, ct) => c.GetAsync("/api/v2/device/offering", ct), PrintOffering);
        yield return Verb("discover", "Ask the upstream for offers now.", [], (c, _, ct) => c.PostAsync("/api/v2/triggers/discover-component", ct), PrintDiscovery);
        yield return Verb("device", "Show the device's identity and data.", [], (c, _, ct) => c.GetAsync("/api/v2/device", ct), PrintDevice);
        yield return StatusCommand.Create(id);
        yield return Verb("deliver", "Start (or restart) the delivery of a release and its dependencies.", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/start/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("pause", "Pause a delivery (its bytes are kept).", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/pause/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("resume", "Resume a paused delivery.", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/resume/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("cancel", "Cancel a delivery (its partial bytes are discarded).", [id], (c, r, ct) => c.PostAsync($"/api/v2/delivery/cancel/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("delete", "Delete a delivered or uninstalled release's files.", [id], (c, r, ct) => c.DeleteAsync($"/api/v2/delivery/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintRelease);
        yield return Verb("deploy", "Install a delivered release (its dependencies are installed with it).", [id], (c, r, ct) => c.PostAsync($"/api/v2/deploy/start/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintDeploy);
        yield return Verb("uninstall", "Uninstall an installed release.", [id], (c, r, ct) => c.PostAsync($"/api/v2/deploy/uninstall/{AgentClient.Release(r.GetValue(id)!)}", ct), PrintDeploy);
        yield return ConfigCommand.Create();
        yield return EventsCommand.Create();
    }

    /// <summary>Adds the options every client verb takes (the agent's URL, its secret, --json).</summary>
    internal static T WithClientOptions<T>(T command)
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
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// Resolves the agent's URL and secret, runs <paramref name="work"/>, and turns a failure into its message (or, with
    /// <c>--json</c>, its AppError on stdout) and exit code.
    /// </summary>
    internal static async Task<int> RunAsync(ParseResult result, Func<AgentClient, Task<int>> work)
    {
        var json = result.GetValue(Json);
        try
        {
            var uri = ResolveAgentUrl(result.GetValue(AgentUrl) ?? Environment.GetEnvironmentVariable("GETAPP_AGENT_URL"));
            var secret = result.GetValue(Secret) ?? Env("GETAPP_DEVICE_SECRET") ?? Env("DEVICE_SECRET");
            using var client = new AgentClient(uri, secret);
            return await work(client).ConfigureAwait(false);
        }
        catch (AgentClientException e)
        {
            if (json)
            {
                PrintJsonError(e);
            }
            else
            {
                await Console.Error.WriteLineAsync($"getapp-agent: {e.Message}").ConfigureAwait(false);
            }

            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>An absolute http(s) URL with a host; anything else is a usage error, not an unreachable agent.</summary>
    internal static Uri ResolveAgentUrl(string? given)
    {
        var url = string.IsNullOrWhiteSpace(given) ? "http://127.0.0.1:2220" : given.Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw AgentClientException.Usage($"--agent-url '{url}' is not an http(s) URL of the agent (for example http://127.0.0.1:2220)");
        }

        return uri;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
