using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Hosting;

/// <summary>
/// Resolves <see cref="AgentOptions"/>: command line &gt; environment (<c>GETAPP_*</c>, then GetApp's own names) &gt;
/// appsettings.json (section <c>Agent</c>) &gt; defaults.
/// </summary>
internal static class AgentOptionsResolver
{
    public static AgentOptions Resolve(CommandLineValues cli, Func<string, string?> environment, IConfiguration appSettings)
    {
        var section = appSettings.GetSection("Agent");
        string? Env(params string[] names) => names.Select(environment).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

        var urls = cli.Urls ?? Env("GETAPP_URLS") ?? GetAppUrl(environment) ?? section["Urls"];
        var upstream = cli.Upstream is { Count: > 0 } ? string.Join(',', cli.Upstream) : Env("GETAPP_UPSTREAM", "BASE_URL") ?? section["Upstream"];

        return new AgentOptions
        {
            Urls = urls is null ? [AgentOptions.DefaultUrl] : Split(urls),
            DataDir = cli.DataDir ?? Env("GETAPP_DATA_DIR", "DATA_PATH") ?? section["DataDir"] ?? "getapp-data",
            CatalogDir = cli.Catalog ?? Env("GETAPP_CATALOG") ?? section["Catalog"],
            UpstreamUrls = upstream is null ? [] : Split(upstream),
            DeviceSecret = cli.DeviceSecret ?? Env("GETAPP_DEVICE_SECRET", "DEVICE_SECRET") ?? section["DeviceSecret"],
            CosignPublicKey = cli.CosignPublicKey ?? Env("GETAPP_COSIGN_PUBLIC_KEY") ?? section["CosignPublicKey"],
            HttpsCertificate = cli.HttpsCertificate ?? Env("GETAPP_HTTPS_CERTIFICATE") ?? section["HttpsCertificate"],
            HttpsKey = cli.HttpsKey ?? Env("GETAPP_HTTPS_KEY") ?? section["HttpsKey"],
            LogLevel = cli.LogLevel ?? Env("GETAPP_LOG_LEVEL") ?? section["LogLevel"],
            LogFormat = cli.LogFormat ?? Env("GETAPP_LOG_FORMAT") ?? section["LogFormat"],
            ChildrenSecrets = (cli.ChildrenSecret ?? Env("GETAPP_CHILDREN_SECRET") ?? section["ChildrenSecret"]) is { } children ? Split(children) : [],
            SettingDefaults = SettingDefaults(environment, section),
        };
    }

    /// <summary>
    /// GetApp's fleet flags (<c>ORCHESTRATE_ME</c>, <c>REACTIVE_MODE</c>, or <c>Agent:OrchestrateMe</c>...): defaults of the
    /// live settings of the same names (docs/fleet.md). A value that is not a boolean stops the start with its name.
    /// </summary>
    private static Dictionary<string, bool> SettingDefaults(Func<string, string?> environment, IConfigurationSection section)
    {
        var defaults = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (setting, env, key) in (ReadOnlySpan<(string, string, string)>)[("orchestrateMe", "ORCHESTRATE_ME", "OrchestrateMe"), ("reactiveMode", "REACTIVE_MODE", "ReactiveMode")])
        {
            var (value, source) = environment(env) is { } e && !string.IsNullOrWhiteSpace(e) ? (e, env) : (section[key], $"Agent:{key}");
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            defaults[setting] = value.Trim().ToLowerInvariant() switch
            {
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => throw new AgentConfigurationException($"{source}='{value.Trim()}' is not a boolean: write true or false"),
            };
        }

        return defaults;
    }

    /// <summary>GetApp's <c>AGENT_IP</c> and <c>GATEWAY_PORT</c>; either one alone keeps the default of the other.</summary>
    private static string? GetAppUrl(Func<string, string?> environment)
    {
        var ip = environment("AGENT_IP");
        var port = environment("GATEWAY_PORT");
        if (string.IsNullOrWhiteSpace(ip) && string.IsNullOrWhiteSpace(port))
        {
            return null;
        }

        ip = string.IsNullOrWhiteSpace(ip) ? "127.0.0.1" : ip.Trim();
        return $"http://{(ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip)}:{(string.IsNullOrWhiteSpace(port) ? "2220" : port.Trim())}";
    }

    private static string[] Split(string value) =>
        value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>What the <c>run</c> command line said (null = not given).</summary>
internal sealed record CommandLineValues(
    string? Urls, string? DataDir, string? Catalog, IReadOnlyList<string>? Upstream, string? DeviceSecret, string? CosignPublicKey = null)
{
    public string? HttpsCertificate { get; init; }
    public string? HttpsKey { get; init; }
    public string? LogLevel { get; init; }
    public string? LogFormat { get; init; }
    public string? ChildrenSecret { get; init; }
}
