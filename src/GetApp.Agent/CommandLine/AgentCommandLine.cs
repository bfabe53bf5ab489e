using System.CommandLine;

namespace GetApp.Agent.CommandLine;

/// <summary>The <c>getapp-agent</c> command line: <c>run</c> is the daemon.</summary>
internal static class AgentCommandLine
{
    /// <summary>
    /// How the command line is invoked. On SIGTERM or Ctrl+C System.CommandLine cancels the action's token and, unless
    /// the action ends within <see cref="InvocationConfiguration.ProcessTerminationTimeout"/> (2 s by default), ends the
    /// process itself with 143 or 130. A clean stop of the daemon (installers and downloads stopped and recorded) may
    /// take longer than that on a loaded device, so the timeout is longer than the host's own stop.
    /// </summary>
    public static InvocationConfiguration Invocation { get; } = new()
    {
        ProcessTerminationTimeout = Hosting.AgentHost.ShutdownTimeout + TimeSpan.FromSeconds(30),
    };

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "GetApp agent: discovers, delivers and deploys software releases on this device, and serves the GetApp Agent API v2. " +
            "`run` is the daemon; `catalog` and `export` make offline catalogs; the other verbs are clients of a running agent.")
        {
            RunCommand.Create(),
            CatalogCommands.Create(),
            ExportCommand.Create(),
        };
        foreach (var verb in ClientCommands.Create())
        {
            root.Subcommands.Add(verb);
        }

        return root;
    }
}
