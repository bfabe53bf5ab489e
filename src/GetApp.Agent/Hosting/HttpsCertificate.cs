using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Hosting;

/// <summary>
/// The certificate <c>https://</c> addresses are served with: PEM files as openssl, certbot or a site CA hand them out
/// (<c>--https-certificate</c>, and <c>--https-key</c> unless the certificate file holds the key too).
/// </summary>
internal static class HttpsCertificate
{
    /// <summary>Null when no https address is configured; throws <see cref="AgentConfigurationException"/> when the files cannot be used.</summary>
    public static X509Certificate2? Load(AgentOptions options)
    {
        if (options.HttpsCertificate is not { } certificatePath || !options.Urls.Any(AgentOptionsValidator.IsHttps))
        {
            return null;
        }

        var keyPath = options.HttpsKey ?? certificatePath;
        foreach (var path in new[] { certificatePath, keyPath })
        {
            if (!File.Exists(path))
            {
                throw new AgentConfigurationException($"The HTTPS {(path == certificatePath ? "certificate" : "key")} file {Path.GetFullPath(path)} does not exist: check --https-certificate / --https-key");
            }
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            var fix = options.HttpsKey is null
                ? "give its private key with --https-key KEY.pem"
                : "check that --https-key is the PEM private key of this certificate";
            throw new AgentConfigurationException($"The HTTPS certificate {Path.GetFullPath(certificatePath)} cannot be used ({e.Message.TrimEnd('.')}): it must be PEM; {fix}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"The HTTPS certificate or key cannot be read ({e.Message.TrimEnd('.')}): fix the files' permissions for the agent's user", e);
        }
    }
}
