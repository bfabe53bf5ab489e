using GetApp.Agent.CommandLine;

return await AgentCommandLine.Create().Parse(args).InvokeAsync(AgentCommandLine.Invocation).ConfigureAwait(false);
