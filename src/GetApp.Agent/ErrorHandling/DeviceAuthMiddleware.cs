using System.Security.Cryptography;
using System.Text;
using GetApp.Agent.Api;
using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.ErrorHandling;

/// <summary>
/// Checks <c>Device-Auth</c>, compared in constant time so that response timing does not leak a secret. On a bind other
/// than loopback every route of the local API needs the device secret. The routes of the parent face (docs/parent.md)
/// are for child agents: they take a children secret (<c>--children-secret</c>) as well as the device secret, and need
/// one whenever a children secret is set, even on loopback. The artifact route is checked by its signed URL instead,
/// and the dashboard's static files (no data in them) need none.
/// </summary>
internal sealed class DeviceAuthMiddleware(RequestDelegate next, AgentOptions options)
{
    private readonly byte[]? _deviceSecret = options.DeviceSecret is { } secret ? Digest(secret) : null;
    private readonly byte[][] _childSecrets = [.. options.ChildrenSecrets.Select(Digest)];
    private readonly bool _localNeedsSecret = options.DeviceSecret is not null && !Hosting.AgentHost.BindsOnlyToLoopback(options);

    public Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        var route = metadata?.GetMetadata<ParentRoute>();
        // The dashboard's static files hold no data; the page sends the secret with every API call it makes.
        if (route == ParentRoute.SignedUrl || metadata?.GetMetadata<Dashboard.DashboardRoute>() is not null)
        {
            return next(context);
        }

        if (route == ParentRoute.ForChildren)
        {
            if (!_localNeedsSecret && _childSecrets.Length == 0)
            {
                return next(context);
            }

            // A missing header reads as "": it never matches (the host refuses blank secrets too).
            var header = context.Request.Headers["Device-Auth"].ToString();
            var given = Digest(header);
            var accepted = header.Length > 0 && _deviceSecret is { } own && CryptographicOperations.FixedTimeEquals(given, own);
            foreach (var child in _childSecrets)
            {
                accepted |= header.Length > 0 && CryptographicOperations.FixedTimeEquals(given, child);
            }

            return accepted ? next(context) : Refuse(context, "A valid Device-Auth header (the children secret of this parent) is required");
        }

        if (!_localNeedsSecret)
        {
            return next(context);
        }

        var presented = context.Request.Headers["Device-Auth"].ToString();
        return presented.Length > 0 && _deviceSecret is { } secret && CryptographicOperations.FixedTimeEquals(Digest(presented), secret)
            ? next(context)
            : Refuse(context, "A valid Device-Auth header is required");
    }

    /// <summary>True when any route needs a secret: the middleware is left out otherwise.</summary>
    public static bool IsNeeded(AgentOptions options) =>
        options.ChildrenSecrets.Count > 0 || (options.DeviceSecret is not null && !Hosting.AgentHost.BindsOnlyToLoopback(options));

    private static Task Refuse(HttpContext context, string message) =>
        AppErrorMiddleware.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", message);

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
