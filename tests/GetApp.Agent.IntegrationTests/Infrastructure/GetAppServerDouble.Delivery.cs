using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The double's catalog and delivery service: releases, bundles, prepareDelivery / preparedDelivery as the origin and
/// cache services answer them (apps/delivery/src/origin, apps/delivery/src/cache/prepare.service.ts), and the files.
/// </summary>
public sealed partial class GetAppServerDouble
{
    // catalogId → preparation polls left (the cache service's delivery row); absent = no preparation known.
    private readonly Dictionary<string, int> _preparations = new(StringComparer.Ordinal);

    /// <summary>
    /// How files are signed: by default with the double's own key (<see cref="PublicKeyFile"/>), as a real GetApp origin
    /// signs every upload. Set to sign with another key.
    /// </summary>
    public Func<byte[], string>? SignFiles { get; set; }

    /// <summary>A signature with the double's own key of a file whose SHA-256 is <paramref name="sha256"/> (for artifacts served elsewhere).</summary>
    public string SignDigest(byte[] sha256) => _key.SignDigest(sha256);

    /// <summary>The public half of the double's own signing key (<c>cosign.pub</c>).</summary>
    public string PublicKeyFile => _key.PublicKeyFile;

    /// <summary>
    /// When true, artifacts also carry a SHA-256 <c>hash</c>, as the cache/proxy path does. By default they carry only a
    /// <c>signature</c>: the origin path never sets <c>hash</c> for software files (origin-delivery.service.ts).
    /// </summary>
    public bool ArtifactHashes { get; set; }

    /// <summary>The next this many file answers carry one flipped byte (damaged on the way; same length, same ETag).</summary>
    public int CorruptFileAnswers;

    /// <summary>
    /// Preparation as the cache service does it: prepareDelivery answers <c>start</c>, then preparedDelivery
    /// <c>inProgress</c> this many times, then <c>done</c>. 0 = the origin service, which answers <c>done</c> at once.
    /// </summary>
    public int PreparePolls { get; set; }

    /// <summary>Offers a release. Files are served by the double itself; <paramref name="rawArtifacts"/> adds artifacts as given (rpm://, docker).</summary>
    public GetAppServerDouble AddRelease(string catalogId, bool isPush = false, string[]? dependedOnBy = null, IReadOnlyDictionary<string, byte[]>? files = null,
        string? executable = null, string? arguments = null, bool? available = null, JsonObject? metadata = null, JsonArray? rawArtifacts = null)
    {
        lock (_lock)
        {
            _releases[catalogId] = new DoubleRelease(catalogId, isPush, dependedOnBy ?? [], files ?? new Dictionary<string, byte[]>(), executable, arguments, available, metadata, rawArtifacts);
        }

        return this;
    }

    /// <summary>
    /// Offers a bundle: a release made only of <paramref name="dependencies"/> (already added), which the server prepares
    /// as <c>status: done</c> with <c>artifacts: []</c>. Each dependency's <c>dependedOnBy</c> names it, as the server's do.
    /// </summary>
    public GetAppServerDouble AddBundle(string catalogId, string[] dependencies, bool isPush = false, JsonObject? metadata = null)
    {
        lock (_lock)
        {
            foreach (var dependency in dependencies)
            {
                var release = _releases[dependency];
                _releases[dependency] = release with { DependedOnBy = [.. release.DependedOnBy, catalogId] };
            }
        }

        return AddRelease(catalogId, isPush, metadata: metadata);
    }

    public void RemoveRelease(string catalogId)
    {
        lock (_lock)
        {
            _releases.Remove(catalogId);
        }
    }

    /// <summary>Makes the server answer prepareDelivery for <paramref name="catalogId"/> with <c>status: error</c>.</summary>
    public void FailPreparation(string catalogId, string errorCode, string message)
    {
        lock (_lock)
        {
            _releases[catalogId] = _releases[catalogId] with { PrepareError = (errorCode, message) };
        }
    }

    /// <summary>The server forgets every preparation (restarted, cache evicted): the next preparedDelivery starts a new one.</summary>
    public void ForgetPreparations()
    {
        lock (_lock)
        {
            _preparations.Clear();
        }
    }

    /// <summary>Every artifact URL handed out so far now answers 403, as an expired presigned URL does.</summary>
    public void ExpireUrls() => Interlocked.Increment(ref _urlGeneration);

    private async Task<IResult> PrepareAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var problems = new List<string>();
        if (body is null)
        {
            problems.Add("body must be a JSON object");
        }
        else
        {
            RequireString(body, "catalogId", problems);
            RequireString(body, "deviceId", problems);
            if (!ItemTypes.Contains(body["itemType"]?.GetValue<string>()))
            {
                problems.Add("itemType must be one of the following values: software, map, cache, config");
            }
        }

        if (problems.Count > 0)
        {
            return await BadRequestAsync(context, body, problems);
        }

        await Record(context, body, 201);
        var catalogId = body!["catalogId"]!.GetValue<string>();
        lock (_lock)
        {
            _preparations[catalogId] = PreparePolls;
        }

        return Results.Json(PreparedAnswer(catalogId, first: true), statusCode: 201);
    }

    /// <summary>
    /// Never 404: the origin prepares again; the cache service starts a new preparation for one it does not know
    /// (prepare.service.ts, getPreparedDeliveryStatus) and answers <c>start</c>.
    /// </summary>
    private async Task<IResult> PreparedAsync(HttpContext context, string catalogId)
    {
        await Record(context, null, 200);
        bool first;
        lock (_lock)
        {
            first = !_preparations.ContainsKey(catalogId);
            if (first)
            {
                _preparations[catalogId] = PreparePolls;
                Log($"WARN [PrepareService] Not found delivery with catalogId: {catalogId}, start again preparing delivery");
            }
        }

        return Results.Json(PreparedAnswer(catalogId, first));
    }

    private JsonObject PreparedAnswer(string catalogId, bool first)
    {
        lock (_lock)
        {
            if (!_releases.TryGetValue(catalogId, out var release))
            {
                return new JsonObject
                {
                    ["catalogId"] = catalogId, ["status"] = "error",
                    ["error"] = new JsonObject { ["errorCode"] = "DELIVERY.notFound", ["message"] = $"Item not found, catalog Id: {catalogId}" },
                };
            }

            if (release.PrepareError is { } error)
            {
                return new JsonObject
                {
                    ["catalogId"] = catalogId, ["status"] = "error",
                    ["error"] = new JsonObject { ["errorCode"] = error.Code, ["message"] = error.Message },
                };
            }

            var polls = _preparations.GetValueOrDefault(catalogId);
            if (polls > 0)
            {
                if (!first)
                {
                    _preparations[catalogId] = polls - 1;
                }

                return new JsonObject { ["catalogId"] = catalogId, ["status"] = first ? "start" : "inProgress", ["progress"] = first ? 0 : 50 };
            }

            var artifacts = new JsonArray();
            foreach (var (name, content) in release.Files)
            {
                var item = new JsonObject
                {
                    ["catalogId"] = catalogId,
                    ["itemKey"] = $"{catalogId}@{name}",
                    ["artifactType"] = "software",
                    ["url"] = FileUrl(catalogId, name),
                    ["size"] = content.Length,
                    ["signature"] = (SignFiles ?? _key.Sign)(content),
                    ["isExecutable"] = name == release.Executable,
                    ["metaData"] = "{}",
                };
                if (ArtifactHashes)
                {
                    item["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = Convert.ToHexStringLower(SHA256.HashData(content)) };
                }

                if (name == release.Executable && release.Arguments is not null)
                {
                    item["arguments"] = release.Arguments;
                }

                artifacts.Add(item);
            }

            foreach (var raw in release.RawArtifacts ?? [])
            {
                artifacts.Add(raw?.DeepClone());
            }

            // A bundle (no files of its own) is a valid, done preparation with nothing in it.
            return new JsonObject { ["catalogId"] = catalogId, ["status"] = "done", ["progress"] = 100, ["artifacts"] = artifacts };
        }
    }

    /// <summary>A presigned-style URL: the generation in the path expires with <see cref="ExpireUrls"/>; the query must arrive intact.</summary>
    public string FileUrl(string catalogId, string name) =>
        $"{BaseUrl}/files/{_urlGeneration}/{Uri.EscapeDataString(catalogId)}/{Uri.EscapeDataString(name)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Signature=sig{_urlGeneration}";

    private async Task<IResult> FileAsync(HttpContext context, int generation, string catalogId, string name)
    {
        var intact = context.Request.Query["X-Amz-Signature"] == $"sig{generation}" && context.Request.Query["X-Amz-Expires"] == "600";
        var status = generation != _urlGeneration || !intact ? 403 : 200;
        byte[]? content = null;
        lock (_lock)
        {
            if (_releases.TryGetValue(catalogId, out var release))
            {
                release.Files.TryGetValue(name, out content);
            }
        }

        status = status == 200 && content is null ? 404 : status;
        await Record(context, null, status);
        if (status != 200)
        {
            return Results.Text(status == 403 ? "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" : "not found",
                "application/xml", statusCode: status);
        }

        var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content!))[..16]}\"");
        if (Interlocked.Decrement(ref CorruptFileAnswers) >= 0)
        {
            content = [.. content!];
            content[content.Length / 2] ^= 0xFF;
        }

        return Results.File(content!, "application/octet-stream", enableRangeProcessing: true, entityTag: etag,
            lastModified: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    private JsonObject ReleaseJson(DoubleRelease release)
    {
        var (name, version) = (release.CatalogId.Split('@')[0], release.CatalogId.Split('@')[^1]);
        var projectName = name.Split('.', 2)[^1];
        return new JsonObject
        {
            ["id"] = release.CatalogId,
            ["version"] = version,
            ["projectId"] = int.TryParse(name.Split('.')[0], out var id) ? id : 0,
            ["projectName"] = projectName,
            ["displayName"] = projectName,
            ["status"] = "released",
            ["type"] = "product",
            ["projectTypeV2"] = release.Files.Count == 0 && release.RawArtifacts is null ? "bundle" : "application",
            // Release-level size counts the installation files (upload's ReleaseDto).
            ["size"] = release.Files.Values.Sum(f => (long)f.Length)
                + (release.RawArtifacts ?? []).Sum(a => a?["size"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0),
            ["latest"] = true,
            ["createdAt"] = "2026-01-01T00:00:00.000Z",
            ["updatedAt"] = "2026-01-01T00:00:00.000Z",
            ["releasedAt"] = "2026-01-01T00:00:00.000Z",
            ["metadata"] = release.Metadata?.DeepClone() ?? new JsonObject(),
            ["policies"] = new JsonArray(),
        };
    }

    /// <summary>
    /// Offers the release in the discovery answers of these devices only (the server targets offers by device and platform:
    /// a release for a site's master, which its operator then pushes to the site). Its delivery stays open to any device.
    /// </summary>
    public GetAppServerDouble OfferOnlyTo(string catalogId, params string[] deviceIds)
    {
        lock (_lock)
        {
            _releases[catalogId] = _releases[catalogId] with { OfferedTo = [.. deviceIds] };
        }

        return this;
    }

    private sealed record DoubleRelease(string CatalogId, bool IsPush, string[] DependedOnBy, IReadOnlyDictionary<string, byte[]> Files,
        string? Executable, string? Arguments, bool? Available, JsonObject? Metadata, JsonArray? RawArtifacts)
    {
        public (string Code, string Message)? PrepareError { get; init; }

        /// <summary>Null: offered to every device.</summary>
        public IReadOnlyList<string>? OfferedTo { get; init; }
    }
}
