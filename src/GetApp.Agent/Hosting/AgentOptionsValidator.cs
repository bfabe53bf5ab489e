using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream.OfflineCatalog;

namespace GetApp.Agent.Hosting;

/// <summary>
/// Checks the start-up settings before anything is built: each mistake an operator is likely to make ends in one line
/// naming the problem and the fix (<see cref="AgentConfigurationException"/>). What is allowed but probably not meant
/// comes back as warnings, logged once the agent's logger exists.
/// </summary>
internal static class AgentOptionsValidator
{
    private const string UrlsSource = "--urls, GETAPP_URLS or Agent:Urls";

    /// <summary>Throws on the first mistake; returns the warnings.</summary>
    public static IReadOnlyList<string> Check(AgentOptions options)
    {
        var warnings = new List<string>();
        foreach (var url in options.Urls)
        {
            CheckUrl(url, options);
        }

        AgentLogging.Parse(options);
        if (options.CatalogDir is { } catalog)
        {
            CheckCatalog(catalog);
        }

        if (options.CatalogDir is null && options.UpstreamUrls.Count == 0)
        {
            warnings.Add("No upstream is configured, so nothing will be offered to this device: add a GetApp server with --upstream URL " +
                "(or BASE_URL), or an offline catalog folder with --catalog DIR");
        }

        if (options.HttpsCertificate is not null && !options.Urls.Any(IsHttps))
        {
            warnings.Add($"--https-certificate {options.HttpsCertificate} is not used: no address in {UrlsSource} starts with https://");
        }

        return warnings;
    }

    /// <summary>True for an <c>https://</c> address.</summary>
    public static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static void CheckUrl(string url, AgentOptions options)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            // "127.0.0.1:2244", "localhost:2220", ":2220": Kestrel would reject it with a stack trace, or bind somewhere else.
            var hostPort = url.StartsWith(':') ? "127.0.0.1" + url : url;
            throw new AgentConfigurationException(
                $"The API address '{url}' ({UrlsSource}) has no scheme: write http://{hostPort}");
        }

        var scheme = url[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            throw new AgentConfigurationException(
                $"The API address '{url}' ({UrlsSource}) has the scheme '{url[..schemeEnd]}': use http://HOST:PORT, or https://HOST:PORT with --https-certificate");
        }

        // Kestrel's wildcards (+, *) are not valid URL hosts; check the rest with a stand-in host.
        var parsable = url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new AgentConfigurationException(
                $"The API address '{url}' ({UrlsSource}) is not a valid URL: write it as {scheme}://HOST:PORT with a port from 1 to 65535, e.g. http://127.0.0.1:2220");
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new AgentConfigurationException(
                $"The API address '{url}' ({UrlsSource}) has a path; the API is always served at the root: write {scheme}://{uri.Authority}");
        }

        if (scheme == "https" && options.HttpsCertificate is null)
        {
            throw new AgentConfigurationException(
                $"The API address '{url}' is https:// but no certificate is configured: give --https-certificate CERT.pem and --https-key KEY.pem " +
                "(PEM files; env GETAPP_HTTPS_CERTIFICATE, GETAPP_HTTPS_KEY), or listen on http://");
        }
    }

    private static void CheckCatalog(string catalog)
    {
        var full = Path.GetFullPath(catalog);
        if (File.Exists(full))
        {
            var hint = Path.GetFileName(full) == CatalogReader.FileName ? $"--catalog {Path.GetDirectoryName(full)}" : "the folder that holds catalog.json";
            throw new AgentConfigurationException($"The offline catalog {full} (--catalog or GETAPP_CATALOG) is a file, not a folder: use {hint}");
        }

        if (!Directory.Exists(full))
        {
            throw new AgentConfigurationException(
                $"The offline catalog folder {full} (--catalog or GETAPP_CATALOG) does not exist: check the path (is the USB stick mounted?), " +
                $"or create a catalog there with `getapp-agent catalog init {full}`");
        }

        if (!File.Exists(Path.Combine(full, CatalogReader.FileName)))
        {
            throw new AgentConfigurationException(
                $"The offline catalog folder {full} (--catalog or GETAPP_CATALOG) has no {CatalogReader.FileName}: point --catalog at the folder that holds it, " +
                $"or create one with `getapp-agent catalog init {full}` and `getapp-agent catalog add`");
        }
    }
}
