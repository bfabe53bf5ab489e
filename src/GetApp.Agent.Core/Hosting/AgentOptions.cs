namespace GetApp.Agent.Core.Hosting;

/// <summary>
/// The agent's start-up settings, resolved from the command line, the environment, appsettings.json and defaults
/// (in that order of precedence). Settings that may change while the agent runs are live settings in the store.
/// </summary>
public sealed record AgentOptions
{
    public const string DefaultUrl = "http://127.0.0.1:2220";

    /// <summary>Where Kestrel listens (<c>--urls</c>, or GetApp's <c>AGENT_IP</c> / <c>GATEWAY_PORT</c>).</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>The database, artifacts and logs live here (<c>--data-dir</c>, <c>GETAPP_DATA_DIR</c>, <c>DATA_PATH</c>).</summary>
    public string DataDir { get; init; } = "getapp-data";

    /// <summary>An offline catalog folder used as the upstream (<c>--catalog</c>, <c>GETAPP_CATALOG</c>).</summary>
    public string? CatalogDir { get; init; }

    /// <summary>GetApp server URLs, tried in order (<c>--upstream</c>, <c>GETAPP_UPSTREAM</c>, <c>BASE_URL</c>).</summary>
    public IReadOnlyList<string> UpstreamUrls { get; init; } = [];

    /// <summary>The device secret sent to the server as <c>Device-Auth</c>, and required from API clients on a non-loopback bind.</summary>
    public string? DeviceSecret { get; init; }

    /// <summary>
    /// The secrets a child agent may send as <c>Device-Auth</c> to this agent's server-shaped routes (<c>--children-secret</c>,
    /// <c>GETAPP_CHILDREN_SECRET</c>, comma-separated like the GetApp server's own list). They open those routes only, never
    /// the local control API. Empty: children are asked for this agent's own <see cref="DeviceSecret"/> (docs/parent.md).
    /// </summary>
    public IReadOnlyList<string> ChildrenSecrets { get; init; } = [];

    /// <summary>
    /// The cosign public key (PEM) artifacts must be signed with (<c>--cosign-public-key</c>, <c>GETAPP_COSIGN_PUBLIC_KEY</c>);
    /// without it, <c>cosign.pub</c> in the data dir if present; else signatures are not checked.
    /// </summary>
    public string? CosignPublicKey { get; init; }

    /// <summary>
    /// A PEM certificate (and <see cref="HttpsKey"/>, its PEM private key) for <c>https://</c> URLs in <see cref="Urls"/>
    /// (<c>--https-certificate</c>, <c>GETAPP_HTTPS_CERTIFICATE</c>); a PEM file holding both needs no key file.
    /// </summary>
    public string? HttpsCertificate { get; init; }

    /// <summary>The certificate's PEM private key (<c>--https-key</c>, <c>GETAPP_HTTPS_KEY</c>).</summary>
    public string? HttpsKey { get; init; }

    /// <summary>
    /// Log levels (<c>--log-level</c>, <c>GETAPP_LOG_LEVEL</c>): <c>information</c> by default; a level, and/or
    /// <c>component=level</c> pairs, comma-separated (e.g. <c>warning,delivery=debug</c>).
    /// </summary>
    public string? LogLevel { get; init; }

    /// <summary>How log lines are written to stdout (<c>--log-format</c>, <c>GETAPP_LOG_FORMAT</c>): text (default), json or systemd.</summary>
    public string? LogFormat { get; init; }

    /// <summary>
    /// Defaults of boolean live settings given by GetApp's environment names (<c>ORCHESTRATE_ME</c>, <c>REACTIVE_MODE</c>):
    /// they replace the built-in default; a value set through <c>/api/v2/agent/configs</c> wins over them.
    /// </summary>
    public IReadOnlyDictionary<string, bool> SettingDefaults { get; init; } = new Dictionary<string, bool>();

    /// <summary>The largest request body the local API accepts.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;
}
