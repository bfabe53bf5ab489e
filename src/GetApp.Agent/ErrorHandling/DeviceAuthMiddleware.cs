using System.Security.Cryptography;
using System.Text;
using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.ErrorHandling;

/// <summary>
/// On a bind other than loopback, every request must carry the device secret in <c>Device-Auth</c>; it is compared
/// in constant time so that response timing does not leak it.
/// </summary>
internal sealed class DeviceAuthMiddleware(RequestDelegate next, AgentOptions options)
{
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.DeviceSecret ?? "");

    public Task InvokeAsync(HttpContext context)
    {
        var given = Encoding.UTF8.GetBytes(context.Request.Headers["Device-Auth"].ToString());
        // A missing header reads as "": it must never match, whatever the configured secret (the host refuses a blank one).
        return given.Length > 0 && _secret.Length > 0 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(given), SHA256.HashData(_secret))
            ? next(context)
            : AppErrorMiddleware.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "A valid Device-Auth header is required");
    }
}
