using System.CommandLine;

namespace GetApp.Agent.CommandLine;

/// <summary>The <c>getapp-agent</c> command line: <c>run</c> is the daemon.</summary>
internal static class AgentCommandLine
{
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
