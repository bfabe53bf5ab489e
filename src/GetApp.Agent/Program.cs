using GetApp.Agent.CommandLine;

return await AgentCommandLine.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
