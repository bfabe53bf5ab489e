using System.CommandLine;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Hosting;

namespace GetApp.Agent.CommandLine;

/// <summary><c>getapp-agent run</c>: the daemon. Stops cleanly on SIGTERM or Ctrl+C.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where the local API listens (default http://127.0.0.1:2220; env GETAPP_URLS, or AGENT_IP and GATEWAY_PORT)." };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for the database, artifacts and logs (default ./getapp-data; env GETAPP_DATA_DIR or DATA_PATH)." };
        var catalog = new Option<string>("--catalog") { Description = "An offline catalog folder holding catalog.json to use as the upstream (env GETAPP_CATALOG)." };
        var upstream = new Option<string[]>("--upstream")
        {
            Description = "GetApp server URL(s), tried in order (env GETAPP_UPSTREAM or BASE_URL, comma-separated).",
            AllowMultipleArgumentsPerToken = true,
        };
        var secret = new Option<string>("--device-secret") { Description = "Device secret sent to the server as Device-Auth; required to bind beyond loopback (env DEVICE_SECRET)." };

        var cosign = new Option<string>("--cosign-public-key")
        {
            Description = "PEM public key every artifact must carry a valid cosign signature for (env GETAPP_COSIGN_PUBLIC_KEY; default <data-dir>/cosign.pub if present).",
        };

        var childrenSecret = new Option<string>("--children-secret")
        {
            Description = "Secret(s) child agents send as Device-Auth to this agent's server routes, comma-separated; they open no other route " +
                "(env GETAPP_CHILDREN_SECRET; default: the device secret).",
        };

        var command = new Command("run", "Run the agent daemon.") { urls, dataDir, catalog, upstream, secret, cosign, childrenSecret };
        command.SetAction(async (result, cancellationToken) =>
        {
            var values = new CommandLineValues(
                result.GetValue(urls), result.GetValue(dataDir), result.GetValue(catalog), result.GetValue(upstream), result.GetValue(secret), result.GetValue(cosign),
                result.GetValue(childrenSecret));
            return await RunAsync(values, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CommandLineValues values, CancellationToken cancellationToken)
    {
        var appSettings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .Build();
        try
        {
            var options = AgentOptionsResolver.Resolve(values, Environment.GetEnvironmentVariable, appSettings);
            await using var app = AgentHost.Build(options);
            await AgentHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is StoreException or InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync($"getapp-agent: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
