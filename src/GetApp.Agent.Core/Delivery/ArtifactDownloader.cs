using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace GetApp.Agent.Core.Delivery;

/// <summary>What to fetch, and where its partial file lives.</summary>
/// <param name="Validator">The ETag or Last-Modified seen when the bytes on disk were fetched; sent as <c>If-Range</c>.</param>
public sealed record DownloadRequest(string ItemKey, Uri Source, long? ExpectedSize, string PartialPath, string? Validator);

/// <summary>The artifact is complete on disk: its length and SHA-256 (of every byte in the file, resumed or not).</summary>
public sealed record DownloadOutcome(long Length, byte[] Sha256);

/// <summary>Callbacks of one download: the partial file's length as it grows, and a new validator from the server.</summary>
public sealed record DownloadObserver(Action<long> OnLength, Action<string?> OnValidator);

/// <summary>
/// Streams one artifact into its partial file, hashing SHA-256 while writing, and resumes from the bytes already on disk:
/// HTTP with <c>Range</c> guarded by <c>If-Range</c>, or a file of a local catalog from the same offset. One attempt per
/// call; retries and backoff belong to the caller. Memory stays flat: a few pooled buffers, whatever the file size.
/// </summary>
public sealed class ArtifactDownloader(HttpClient http, TimeProvider time)
{
    private const int BufferSize = 1024 * 1024;
    private const int MaxRedirects = 10;

    /// <summary>The name of the <see cref="HttpClient"/> used for artifact downloads (its own handler: no cookies, no automatic redirects).</summary>
    public const string HttpClientName = "GetApp.Agent.Delivery";

    public async Task<DownloadOutcome> DownloadAsync(DownloadRequest request, DownloadObserver observer, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        Directory.CreateDirectory(Path.GetDirectoryName(request.PartialPath)!);
        await using var file = OpenPartial(request);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            var offset = file.Length;
            if (request.ExpectedSize is { } expected && offset > expected)
            {
                offset = 0;
            }

            offset = await HashExistingAsync(file, offset, hash, cancellationToken).ConfigureAwait(false);
            observer.OnLength(offset);
            PartialFileSpace.Reserve(file.SafeFileHandle, offset, request.ExpectedSize);

            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stall.CancelAfter(stallTimeout);
            var opened = await OpenAsync(request, offset, observer, stall.Token, stallTimeout, cancellationToken).ConfigureAwait(false);
            await using var body = opened.Body;
            using var response = opened.Response;
            if (opened.Offset != offset)
            {
                // The source starts over (200 to a Range, a changed validator, 416): the bytes on disk are not the prefix any more.
                offset = opened.Offset;
                file.SetLength(offset);
                hash.GetHashAndReset();
                observer.OnLength(offset);
                PartialFileSpace.Reserve(file.SafeFileHandle, offset, request.ExpectedSize);
            }

            if (opened.AlreadyComplete)
            {
                return new DownloadOutcome(offset, hash.GetHashAndReset());
            }

            var pipeline = new DownloadPipeline(file.SafeFileHandle, file.Name, offset, hash, observer, directWrites: true, time);
            var received = await pipeline.CopyAsync(body, request.ExpectedSize, stall, stallTimeout, cancellationToken).ConfigureAwait(false);
            if (opened.ContentLength is { } announced && received < announced)
            {
                throw new DeliveryException($"the body ended after {received} of the {announced} bytes announced by Content-Length", retriable: true, reason: DeliveryFailureReason.Network);
            }

            // Durable before anyone may rename it into artsDirPath.
            file.Flush(flushToDisk: true);
            return new DownloadOutcome(offset + received, hash.GetHashAndReset());
        }
        catch
        {
            PartialFileSpace.Release(file);
            throw;
        }
    }

    /// <summary>Opens the partial file. Its room is reserved by <see cref="PartialFileSpace"/> on Linux; elsewhere a new one is preallocated.</summary>
    private static FileStream OpenPartial(DownloadRequest request)
    {
        try
        {
            var exists = File.Exists(request.PartialPath);
            return new FileStream(request.PartialPath, new FileStreamOptions
            {
                Mode = exists ? FileMode.Open : FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.Read,
                BufferSize = 0,
                PreallocationSize = exists || OperatingSystem.IsLinux() ? 0 : request.ExpectedSize ?? 0,
            });
        }
        catch (IOException e)
        {
            throw new DeliveryException($"cannot create the partial file {request.PartialPath}: {e.Message}", retriable: false, e, DeliveryFailureReason.Storage);
        }
    }

    internal static DeliveryException Stalled(TimeSpan stallTimeout, long at) =>
        new($"the download stalled: no data for {stallTimeout.TotalSeconds:0.#} s (at byte {at})", retriable: true, reason: DeliveryFailureReason.Stall);

    /// <summary>
    /// Feeds the bytes already on disk to the hash, so a resumed download still yields the hash of the whole file. The
    /// buffer is rented only for a resume (a fresh download has nothing to read) and given back before the body is read.
    /// </summary>
    private static async Task<long> HashExistingAsync(FileStream file, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        file.Position = 0;
        if (length == 0)
        {
            return 0;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var done = 0L;
            while (done < length)
            {
                var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, length - done)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                done += read;
            }

            return done;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record OpenedSource(Stream Body, long Offset, long? ContentLength, HttpResponseMessage? Response, bool AlreadyComplete = false);

    private async Task<OpenedSource> OpenAsync(DownloadRequest request, long offset, DownloadObserver observer, CancellationToken stallToken, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        if (request.Source.IsFile)
        {
            return OpenFile(request.Source.LocalPath, offset, request.ExpectedSize);
        }

        try
        {
            return await OpenHttpAsync(request, offset, observer, stallToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Stalled(stallTimeout, offset);
        }
    }

    private static OpenedSource OpenFile(string path, long offset, long? expectedSize)
    {
        FileStream source;
        try
        {
            source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeliveryException($"cannot read {path}: {e.Message}", retriable: true, e, DeliveryFailureReason.Source);
        }

        // The catalog checked this real path; a link swapped into it since then would make this open another file. What a
        // descriptor really opened is visible on Linux: anything but the checked path is refused (without saying where it led).
        if (OpenedPathOf(source) is { } opened && opened != path)
        {
            source.Dispose();
            throw new DeliveryException($"{path} now leads somewhere else through a symbolic link; it is not the file the catalog was checked against", retriable: false);
        }

        if (offset > source.Length)
        {
            offset = 0;
        }

        source.Position = offset;
        return new OpenedSource(source, offset, source.Length - offset, null, AlreadyComplete: expectedSize == offset && offset == source.Length);
    }

    private static string? OpenedPathOf(FileStream file)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return new FileInfo($"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task<OpenedSource> OpenHttpAsync(DownloadRequest request, long offset, DownloadObserver observer, CancellationToken cancellationToken)
    {
        var uri = request.Source;
        var credentials = CredentialsOf(uri);
        var credentialsAuthority = uri.GetLeftPart(UriPartial.Authority);
        var validator = request.Validator;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, WithoutUserInfo(uri));
            if (offset > 0)
            {
                message.Headers.Range = new RangeHeaderValue(offset, null);
                if (validator is not null)
                {
                    message.Headers.IfRange = validator.StartsWith('"')
                        ? new RangeConditionHeaderValue(EntityTagHeaderValue.Parse(validator))
                        : new RangeConditionHeaderValue(DateTimeOffset.Parse(validator, System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            // Credentials (user info of the prepared URL) go only to the host they were given for, never across a redirect.
            if (credentials is not null && uri.GetLeftPart(UriPartial.Authority) == credentialsAuthority)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new DeliveryException($"cannot reach {Describe(uri)}: {e.Message}", retriable: true, e, DeliveryFailureReason.Network);
            }

            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (uri.Scheme is not ("http" or "https"))
                {
                    throw new DeliveryException($"redirected to an unsupported URL scheme '{uri.Scheme}'", retriable: false, reason: DeliveryFailureReason.Source);
                }

                continue;
            }

            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                    if (response.Content.Headers.ContentRange is { From: { } from } && from == offset)
                    {
                        observer.OnValidator(ValidatorOf(response));
                        return new OpenedSource(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), offset, response.Content.Headers.ContentLength, response);
                    }

                    // A range we did not ask for: start over without one.
                    response.Dispose();
                    offset = 0;
                    continue;
                case HttpStatusCode.OK:
                    // Either a server that ignores Range, or If-Range said the file changed: the whole file comes, from zero.
                    observer.OnValidator(ValidatorOf(response));
                    return new OpenedSource(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), 0, response.Content.Headers.ContentLength, response);
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    response.Dispose();
                    if (request.ExpectedSize == offset && offset > 0)
                    {
                        return new OpenedSource(Stream.Null, offset, 0, null, AlreadyComplete: true);
                    }

                    if (offset == 0)
                    {
                        throw new DeliveryException($"HTTP 416 from {Describe(uri)} for a request without Range", retriable: true, reason: DeliveryFailureReason.Http);
                    }

                    offset = 0;
                    validator = null;
                    continue;
                case HttpStatusCode.Forbidden:
                    response.Dispose();
                    throw new SourceExpiredException($"HTTP 403 Forbidden from {Describe(uri)} (expired URL?)");
                default:
                    response.Dispose();
                    var retriable = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
                    var retryAfter = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable ? RetryAfterOf(response) : null;
                    throw new DeliveryException($"HTTP {status} {response.ReasonPhrase} from {Describe(uri)}{(retryAfter is { } wait ? $" (Retry-After {wait.TotalSeconds:0} s)" : "")}", retriable, reason: DeliveryFailureReason.Http)
                    {
                        RetryAfter = retryAfter,
                    };
            }
        }

        throw new DeliveryException($"more than {MaxRedirects} redirects from {Describe(request.Source)}", retriable: false, reason: DeliveryFailureReason.Source);
    }

    /// <summary><c>Retry-After</c> as a wait from now: seconds, or an HTTP date (a past one is no wait).</summary>
    private TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow(),
        _ => null,
    };

    /// <summary>A strong ETag, else Last-Modified: what If-Range accepts. Weak ETags cannot guard a range.</summary>
    private static string? ValidatorOf(HttpResponseMessage response) =>
        response.Headers.ETag is { IsWeak: false } etag ? etag.Tag
        : response.Content.Headers.LastModified is { } modified ? modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
        : null;

    private static string? CredentialsOf(Uri uri) =>
        uri.UserInfo is { Length: > 0 } info ? Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(info))) : null;

    private static Uri WithoutUserInfo(Uri uri) =>
        uri.UserInfo.Length == 0 ? uri : new UriBuilder(uri) { UserName = "", Password = "" }.Uri;

    /// <summary>The URL with user info and query masked (presigned signatures do not belong in logs or errMsg).</summary>
    internal static string Describe(Uri uri) => Upstream.SafeUrl.Masked(uri);
}
