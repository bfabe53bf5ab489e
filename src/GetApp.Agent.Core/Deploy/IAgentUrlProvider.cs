using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Core.Deploy;

/// <summary>How installers reach the agent to report progress: <c>GETAPP_AGENT_URL</c>, and <c>GETAPP_DEVICE_AUTH</c> when needed.</summary>
public interface IAgentUrlProvider
{
    Uri? AgentUrl { get; }

    /// <summary>The <c>Device-Auth</c> value the API requires (an agent bound beyond loopback), or null when it requires none.</summary>
    string? DeviceAuth { get; }
}

/// <summary>
/// Holds the address Kestrel really listens on (port 0 is resolved only once it listens); the host sets it after start.
/// A wildcard bind (<c>0.0.0.0</c>, <c>[::]</c>, <c>+</c>, <c>*</c>) is reached through loopback.
/// </summary>
public sealed class AgentSelfUrl(AgentOptions options) : IAgentUrlProvider
{
    private volatile Uri? _listening;
    private volatile string? _deviceAuth;

    public Uri? AgentUrl => _listening ?? Normalize(options.Urls.FirstOrDefault());

    public string? DeviceAuth => _deviceAuth;

    /// <param name="deviceAuth">The secret the API checks in <c>Device-Auth</c>; null when it checks none.</param>
    public void Set(string? listeningAddress, string? deviceAuth)
    {
        _listening = Normalize(listeningAddress);
        _deviceAuth = deviceAuth;
    }

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
