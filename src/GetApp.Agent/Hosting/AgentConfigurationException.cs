namespace GetApp.Agent.Hosting;

/// <summary>
/// The agent cannot start as configured. The message is one line that names the problem and the fix; <c>run</c> prints
/// it on stderr and exits with <see cref="ExitCode"/>, before anything (discovery, delivery, deploy) has started.
/// </summary>
internal sealed class AgentConfigurationException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What <c>getapp-agent run</c> exits with when it refuses to start.</summary>
    public const int ExitCode = 2;
}
