using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Core.Deploy;

/// <summary>The agent's own base URL, given to installers as <c>GETAPP_AGENT_URL</c> so that they can report progress.</summary>
public interface IAgentUrlProvider
{
    Uri? AgentUrl { get; }
}

/// <summary>
/// Holds the address Kestrel really listens on (port 0 is resolved only once it listens); the host sets it after start.
/// A wildcard bind (<c>0.0.0.0</c>, <c>[::]</c>, <c>+</c>, <c>*</c>) is reached through loopback.
/// </summary>
public sealed class AgentSelfUrl(AgentOptions options) : IAgentUrlProvider
{
    private volatile Uri? _listening;

    public Uri? AgentUrl => _listening ?? Normalize(options.Urls.FirstOrDefault());

    public void Set(string? listeningAddress) => _listening = Normalize(listeningAddress);

    internal static Uri? Normalize(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return null;
        }

        var text = address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var host = uri.Host switch
        {
            "0.0.0.0" => "127.0.0.1",
            "[::]" or "::" => "[::1]",
            _ => uri.Host,
        };
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri;
    }
}
