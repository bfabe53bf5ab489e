using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GetApp.Agent.Core.Hosting;

namespace GetApp.Agent.Core.Parent;

/// <summary>
/// Signs the artifact URLs a parent hands to its children, as an object store presigns its URLs: a child's delivery
/// engine never sends <c>Device-Auth</c> to an artifact URL, so the URL itself carries the proof that this parent gave it
/// out (HMAC-SHA256 over the release, the file and the expiry, with a key kept in the data dir). The key survives
/// restarts, so a child resuming after the parent restarted keeps its URL; an expired or forged URL answers 403, which
/// makes a child prepare the release again.
/// </summary>
public sealed class ArtifactUrlSigner(DataDirectory dataDirectory, TimeProvider timeProvider)
{
    public const string KeyFileName = "parent-url.key";
    public const string RoutePrefix = "/api/cdn/artifacts/";

    /// <summary>How long a handed-out URL stays valid: long enough for a slow link and a paused download.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);

    private readonly Lock _lock = new();
    private byte[]? _key;

    /// <summary>The path and query of a signed URL for one artifact (relative to the parent's address).</summary>
    public string PathAndQuery(string catalogId, string fileName)
    {
        // Whole hours: the URLs handed out within an hour are the same, which keeps logs and caches quieter.
        var now = timeProvider.GetUtcNow();
        var expires = (now + Validity).ToUnixTimeSeconds();
        expires += 3600 - (expires % 3600);
        var signature = Sign(catalogId, fileName, expires);
        return $"{RoutePrefix}{Uri.EscapeDataString(catalogId)}/{Uri.EscapeDataString(fileName)}?expires={expires.ToString(CultureInfo.InvariantCulture)}&signature={signature}";
    }

    /// <summary>Null when the URL's expiry and signature are valid now, else why not.</summary>
    public string? Check(string catalogId, string fileName, string? expires, string? signature)
    {
        if (string.IsNullOrEmpty(expires) || string.IsNullOrEmpty(signature)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt))
        {
            return "the artifact URL is not signed (expires and signature are required); prepare the delivery again";
        }

        var expected = Encoding.ASCII.GetBytes(Sign(catalogId, fileName, expiresAt));
        var given = Encoding.ASCII.GetBytes(signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return "the artifact URL's signature is not valid; prepare the delivery again";
        }

        return DateTimeOffset.FromUnixTimeSeconds(Math.Min(expiresAt, 253402300799)) < timeProvider.GetUtcNow()
            ? "the artifact URL has expired; prepare the delivery again"
            : null;
    }

    private string Sign(string catalogId, string fileName, long expires)
    {
        var message = Encoding.UTF8.GetBytes($"{catalogId}\n{fileName}\n{expires.ToString(CultureInfo.InvariantCulture)}");
        var mac = HMACSHA256.HashData(Key(), message);
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private byte[] Key()
    {
        lock (_lock)
        {
            return _key ??= LoadOrCreateKey(Path.Combine(dataDirectory.Root, KeyFileName));
        }
    }

    /// <summary>32 random bytes, written once with owner-only permissions (a secret, so not in the database).</summary>
    internal static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path) && TryRead(path) is { } existing)
        {
            return existing;
        }

        var key = RandomNumberGenerator.GetBytes(32);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return key;
    }

    private static byte[]? TryRead(string path)
    {
        try
        {
            var bytes = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return bytes.Length == 32 ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
