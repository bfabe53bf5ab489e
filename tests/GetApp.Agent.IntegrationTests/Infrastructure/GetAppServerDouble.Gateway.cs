using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>What stands in front of the double's services: an ingress (redirects, TLS) and the gateway's faults and auth.</summary>
public sealed partial class GetAppServerDouble
{
    /// <summary>Redirects, faults and auth, in the order a real ingress and gateway apply them; true when answered here.</summary>
    private async Task<bool> BeforeApiAsync(HttpContext context)
    {
        var redirect = Redirect?.Invoke(context.Request)
            ?? (RedirectToHttps is { } code && !context.Request.IsHttps
                ? (code, $"{HttpsBaseUrl}{context.Request.Path}{context.Request.QueryString}")
                : null);
        if (redirect is { } r)
        {
            await Record(context, null, r.Status);
            context.Response.StatusCode = r.Status;
            context.Response.Headers.Location = r.Location;
            return true;
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        if (ApiUnreachable || (ReportsUnreachable && context.Request.Path.Value!.EndsWith("Status", StringComparison.Ordinal)))
        {
            await Record(context, null, 0);
            context.Abort();
            return true;
        }

        if (FailWith500)
        {
            await Record(context, null, 500);
            context.Response.StatusCode = 500;
            await context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = 500, ["message"] = "Internal server error" });
            return true;
        }

        if (Secret is not null && context.Request.Headers["Device-Auth"].ToString() != Secret)
        {
            await Record(context, null, 401);
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = 401, ["message"] = "Unauthorized" });
            return true;
        }

        return false;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=getapp-server-double", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        // Through PKCS#12 so the private key is a persisted one, as SslStream wants on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
