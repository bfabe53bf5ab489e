using System.CommandLine;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Hosting;

namespace GetApp.Agent.CommandLine;

/// <summary>
/// <c>getapp-agent run</c>: the daemon. Stops cleanly on SIGTERM or Ctrl+C (exit 0). A start it refuses (a setting,
/// the data dir, the port) ends in one line on stderr naming the problem and the fix, exit code 2, with nothing started.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where the local API listens, comma-separated (default http://127.0.0.1:2220; env GETAPP_URLS, or AGENT_IP and GATEWAY_PORT)." };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for the database, artifacts and logs (default ./getapp-data; env GETAPP_DATA_DIR or DATA_PATH)." };
        var catalog = new Option<string>("--catalog") { Description = "An offline catalog folder holding catalog.json to use as the upstream (env GETAPP_CATALOG); see `getapp-agent catalog`." };
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
        var httpsCertificate = new Option<string>("--https-certificate") { Description = "PEM certificate for https:// addresses in --urls (env GETAPP_HTTPS_CERTIFICATE)." };
        var httpsKey = new Option<string>("--https-key") { Description = "PEM private key of --https-certificate, unless the certificate file holds it (env GETAPP_HTTPS_KEY)." };
        var logLevel = new Option<string>("--log-level")
        {
            Description = "trace, debug, information (default), warning, error, critical or none, and/or component=level pairs, comma-separated, " +
                "e.g. warning,delivery=debug (env GETAPP_LOG_LEVEL). Components: " + string.Join(", ", AgentLogging.Components.Keys) + ", or a logger category.",
        };
        var logFormat = new Option<string>("--log-format") { Description = "How log lines are written to stdout: text (default), json (one object per line) or systemd (journald priorities) (env GETAPP_LOG_FORMAT)." };

        var childrenSecret = new Option<string>("--children-secret")
        {
            Description = "Secret(s) child agents send as Device-Auth to this agent's server routes, comma-separated; they open no other route " +
                "(env GETAPP_CHILDREN_SECRET; default: the device secret).",
        };

        var command = new Command("run", "Run the agent daemon.") { urls, dataDir, catalog, upstream, secret, cosign, httpsCertificate, httpsKey, logLevel, logFormat, childrenSecret };
        command.SetAction(async (result, cancellationToken) =>
        {
            var values = new CommandLineValues(
                result.GetValue(urls), result.GetValue(dataDir), result.GetValue(catalog), result.GetValue(upstream), result.GetValue(secret), result.GetValue(cosign))
            {
                HttpsCertificate = result.GetValue(httpsCertificate),
                HttpsKey = result.GetValue(httpsKey),
                LogLevel = result.GetValue(logLevel),
                LogFormat = result.GetValue(logFormat),
                ChildrenSecret = result.GetValue(childrenSecret),
            };
            return await RunAsync(values, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CommandLineValues values, CancellationToken cancellationToken)
    {
        try
        {
            var (appSettings, warnings) = AppSettingsFiles.Load(AppSettingsFiles.DefaultPaths);
            var options = AgentOptionsResolver.Resolve(values, Environment.GetEnvironmentVariable, appSettings);
            await using var app = AgentHost.Build(options, warnings: warnings);
            try
            {
                await AgentHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested || cancellationToken.IsCancellationRequested)
            {
                // SIGTERM or Ctrl+C while starting (the host cancels the start): stop what did start, as on any clean stop.
                // Two handlers see the signal, the host's lifetime and the command line's (which cancels this token, and
                // with it the read model's load): the load's cancellation can reach here before the host's handler has
                // marked the stop, and that is the same stop.
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                return 0;
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            // A background service that failed stopped the agent: not a clean stop (systemd restarts it).
            return app.Services.GetServices<IHostedService>().OfType<AfterBindServices>().Any(s => s.Faulted) ? 1 : 0;
        }
        catch (Exception e) when (e is AgentConfigurationException or StoreException or InvalidOperationException or IOException)
        {
            // One line, whatever the message holds: a script or systemd shows it as the reason.
            var line = string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Console.Error.WriteLineAsync($"getapp-agent: {line}").ConfigureAwait(false);
            return AgentConfigurationException.ExitCode;
        }
    }
}
