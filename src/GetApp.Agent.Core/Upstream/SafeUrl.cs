namespace GetApp.Agent.Core.Upstream;

/// <summary>
/// The one way a URL becomes text (an errMsg, a log line, a stored row): user info and the query string are masked with
/// <c>***</c> (a presigned URL's signature is its query, a URL's password its user info), the fragment is dropped; scheme,
/// host, port and path stay, so a reader still sees where it went and that there was more. Works on what is not a
/// valid URL too: untrusted text is masked the same way, never echoed as given.
/// </summary>
public static class SafeUrl
{
    public const string Mask = "***";

    /// <summary>The URL as it may be shown or stored.</summary>
    public static string Masked(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return url ?? "";
        }

        var end = url.IndexOfAny(['?', '#']);
        var head = end < 0 ? url : url[..end];
        var query = end >= 0 && url[end] == '?' && end + 1 < url.Length && url[end + 1] != '#' ? "?" + Mask : "";
        return WithoutUserInfo(head) + query;
    }

    /// <summary>The URL as it may be shown or stored (of a parsed <see cref="Uri"/>: its absolute form, user info and query masked).</summary>
    public static string Masked(Uri? uri) =>
        uri is null ? "" : Masked(uri.IsAbsoluteUri ? uri.AbsoluteUri : uri.OriginalString);

    /// <summary>"scheme://user:pass@host/…" → "scheme://***@host/…": user info is what lies between "//" and the last '@' of the authority.</summary>
    private static string WithoutUserInfo(string head)
    {
        var scheme = head.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0)
        {
            return head;
        }

        var authorityStart = scheme + 3;
        var authorityEnd = head.IndexOfAny(['/', '\\'], authorityStart);
        var authority = authorityEnd < 0 ? head[authorityStart..] : head[authorityStart..authorityEnd];
        var at = authority.LastIndexOf('@');
        return at < 0 ? head : head[..authorityStart] + Mask + head[(authorityStart + at)..];
    }
}
