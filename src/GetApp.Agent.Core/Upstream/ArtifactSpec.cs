namespace GetApp.Agent.Core.Upstream;

/// <summary>
/// One file of a release as the upstream describes it: the GetApp server's prepared-delivery artifact, and the
/// inline artifact of an offline catalog (same JSON names).
/// </summary>
public sealed record ArtifactSpec
{
    public required string ItemKey { get; init; }
    public required string Url { get; init; }
    public long? Size { get; init; }
    public ArtifactHash? Hash { get; init; }
    public string? ArtifactType { get; init; }
    public bool? IsExecutable { get; init; }
    public string? Arguments { get; init; }
    public string? MetaData { get; init; }
    public string? Signature { get; init; }

    /// <summary>
    /// The spec as it may be stored: its URL with user info and query masked (<see cref="SafeUrl"/>). A stored URL is never
    /// fetched again (each delivery prepares afresh), and the file name derived from it (<c>ArtifactFiles</c>) is the same.
    /// </summary>
    public ArtifactSpec AtRest() => this with { Url = SafeUrl.Masked(Url) };
}

/// <summary>An artifact's expected hash; <see cref="Algorithm"/> is <c>SHA256Hex</c> or <c>SHA256Base64</c>.</summary>
public sealed record ArtifactHash(string Algorithm, string Hash)
{
    public const string Sha256Hex = "SHA256Hex";
    public const string Sha256Base64 = "SHA256Base64";

    /// <summary>The expected SHA-256 digest as 32 bytes, or null when the text is not a valid digest for its algorithm.</summary>
    public byte[]? TryGetDigest()
    {
        try
        {
            var bytes = Algorithm switch
            {
                Sha256Hex => Convert.FromHexString(Hash),
                Sha256Base64 => Convert.FromBase64String(Hash),
                _ => null,
            };
            return bytes is { Length: 32 } ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
