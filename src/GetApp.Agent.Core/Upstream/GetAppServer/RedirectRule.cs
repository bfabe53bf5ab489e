namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>
/// Which redirects of the GetApp server are followed (docs/getapp-server.md, "Redirects"). A redirect is never an answer:
/// a report answered with one has not been accepted. Followed, always with the same method and body:
/// <list type="bullet">
/// <item>307 and 308, which by definition repeat the request as it was;</item>
/// <item>any 301/302/303/307/308 from http to https on the same host, as ingresses that force TLS answer
/// (a 301/302/303 followed as browsers do would turn a POST into a GET and lose the report).</item>
/// </list>
/// Never followed: https → http (the secret and the reports would travel in clear), other 3xx, a missing Location.
/// </summary>
public readonly record struct RedirectRule(bool Follow, bool UpgradesToHttps, string Refusal)
{
    public static RedirectRule For(int status, Uri from, Uri? location)
    {
        if (location is null || location.Scheme is not ("http" or "https"))
        {
            return Refuse("the redirect has no usable http(s) Location");
        }

        if (from.Scheme == "https" && location.Scheme == "http")
        {
            return Refuse("a redirect from https to http is never followed");
        }

        var upgrade = from.Scheme == "http" && location.Scheme == "https" && SameHost(from, location);
        if (upgrade && status is 301 or 302 or 303 or 307 or 308)
        {
            return new RedirectRule(true, true, "");
        }

        return status is 307 or 308
            ? new RedirectRule(true, false, "")
            : Refuse($"only 307/308, or an http→https redirect on the same host, are followed (the request is repeated with the same method and body); configure the URL the server points to");
    }

    /// <summary>Same host name (any scheme or port): where <c>Device-Auth</c> may be sent.</summary>
    public static bool SameHost(Uri a, Uri b) => string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);

    private static RedirectRule Refuse(string why) => new(false, false, why);
}
