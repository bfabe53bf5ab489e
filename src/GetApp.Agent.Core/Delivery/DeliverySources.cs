namespace GetApp.Agent.Core.Delivery;

/// <summary>The kinds of artifact source the delivery engine can fetch.</summary>
public static class DeliverySources
{
    /// <summary>Null when <paramref name="source"/> can be downloaded (http, https, or a file of a local catalog), else why not.</summary>
    public static string? Check(Uri source) =>
        source.IsAbsoluteUri && source.Scheme is "http" or "https" or "file"
            ? null
            : $"unsupported artifact type: {(source.IsAbsoluteUri ? source.Scheme : Upstream.SafeUrl.Masked(source.OriginalString))}";
}
