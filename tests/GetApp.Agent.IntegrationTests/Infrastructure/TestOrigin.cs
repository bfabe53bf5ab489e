using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A real HTTP origin on loopback (Kestrel, port 0) serving generated files with Range, If-Range, ETag and Last-Modified,
/// logging every request, with per-file fault switches. <c>/files/{name}</c> serves a file; <c>/redirect/{name}</c>
/// answers 302 to the same file on <see cref="AltBaseAddress"/> (<c>localhost</c> instead of <c>127.0.0.1</c>: another host).
/// </summary>
public sealed class TestOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, OriginFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<OriginRequest> _log = new();
    private readonly ConcurrentDictionary<string, string> _sparse = new(StringComparer.Ordinal);
    private readonly TempDirectory _sparseDir = new("getapp-origin");

    private TestOrigin(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        AltBaseAddress = new Uri($"http://localhost:{BaseAddress.Port}/");
    }

    public Uri BaseAddress { get; }
    public Uri AltBaseAddress { get; }
    public IReadOnlyList<OriginRequest> Log => [.. _log];

    /// <summary>Called when a request has been answered (the test may react, e.g. re-publish a catalog).</summary>
    public Action<OriginRequest>? OnAnswered { get; set; }

    public static async Task<TestOrigin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TestOrigin? origin = null;
        app.MapGet("/files/{name}", (HttpContext context, string name) => origin!.ServeAsync(context, name));
        app.MapGet("/sparse/{name}", (HttpContext context, string name) => origin!.ServeSparse(context, name));
        app.MapGet("/redirect/{name}", (HttpContext context, string name) =>
        {
            origin!.Record(context, 302);
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = new Uri(origin.AltBaseAddress, $"files/{name}").ToString();
            return Task.CompletedTask;
        });
        await app.StartAsync();
        origin = new TestOrigin(app);
        return origin;
    }

    /// <summary>Adds a generated file (deterministic bytes from <paramref name="seed"/>; nothing is written to disk).</summary>
    public OriginFile AddFile(string name, long size, int seed = 1)
    {
        var file = new OriginFile(name, size, seed, new Uri(BaseAddress, $"files/{name}"));
        _files[name] = file;
        return file;
    }

    /// <summary>
    /// Adds a file of <paramref name="size"/> zero bytes that takes no disk space (sparse), served from disk with Range at
    /// <c>/sparse/{name}</c>: for releases of gigabytes. Returns its URL.
    /// </summary>
    public Uri AddSparseFile(string name, long size)
    {
        var path = _sparseDir.Combine(name);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.SetLength(size);
        }

        _sparse[name] = path;
        return new Uri(BaseAddress, $"sparse/{name}");
    }

    private IResult ServeSparse(HttpContext context, string name)
    {
        if (!_sparse.TryGetValue(name, out var path))
        {
            Record(context, 404);
            return Results.NotFound();
        }

        Record(context, context.Request.Headers.Range.Count > 0 ? 206 : 200);
        return Results.File(path, "application/octet-stream", enableRangeProcessing: true,
            entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{name}-sparse\""), lastModified: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    public IReadOnlyList<OriginRequest> RequestsFor(string name) => Log.Where(r => r.Path == $"/files/{name}").ToList();

    public long BytesServed(string name) => RequestsFor(name).Sum(r => r.BytesSent);

    private OriginRequest Record(HttpContext context, int status)
    {
        var entry = new OriginRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.Host.Host,
            context.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null,
            context.Request.Headers.IfRange.ToString() is { Length: > 0 } i ? i : null,
            context.Request.Headers.Authorization.Count > 0) { Status = status };
        _log.Enqueue(entry);
        return entry;
    }

    private async Task ServeAsync(HttpContext context, string name)
    {
        if (!_files.TryGetValue(name, out var file))
        {
            Record(context, 404);
            context.Response.StatusCode = 404;
            return;
        }

        var faults = file.Faults;
        if (Interlocked.Decrement(ref faults.ForbiddenTimes) >= 0)
        {
            Answer(context, Record(context, 403), 403);
            return;
        }

        if (Interlocked.Decrement(ref faults.FailTimes) >= 0)
        {
            if (faults.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            Answer(context, Record(context, faults.FailStatus), faults.FailStatus);
            return;
        }

        var length = file.Size - faults.ShortBy + faults.ExtraBytes;
        var start = 0L;
        var rangeHeader = context.Request.Headers.Range.ToString();
        var ifRange = context.Request.Headers.IfRange.ToString();
        var rangeApplies = rangeHeader.StartsWith("bytes=", StringComparison.Ordinal) && !faults.IgnoreRange
            && (ifRange.Length == 0 || ifRange == file.ETag || ifRange == file.LastModified);
        if (rangeHeader.Length > 0 && faults.AnswerRangeWith416)
        {
            context.Response.Headers.ContentRange = $"bytes */{length}";
            Answer(context, Record(context, 416), 416);
            return;
        }

        if (rangeApplies)
        {
            start = long.Parse(rangeHeader["bytes=".Length..].Split('-')[0], CultureInfo.InvariantCulture);
            if (start >= length)
            {
                context.Response.Headers.ContentRange = $"bytes */{length}";
                Answer(context, Record(context, 416), 416);
                return;
            }
        }

        var status = rangeApplies ? 206 : 200;
        var entry = Record(context, status);
        context.Response.StatusCode = status;
        context.Response.Headers.ETag = file.ETag;
        context.Response.Headers.LastModified = file.LastModified;
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.ContentLength = length - start;
        if (rangeApplies)
        {
            context.Response.Headers.ContentRange = $"bytes {start}-{length - 1}/{length}";
        }

        var cutAt = Interlocked.Decrement(ref faults.CutTimes) >= 0 ? faults.CutAfterBytes : null;
        var stallAt = Interlocked.Decrement(ref faults.StallTimes) >= 0 ? faults.StallAfterBytes : null;
        var rate = faults.ThrottleBytesPerSecond;
        var chunk = rate is { } r ? (int)Math.Clamp(r / 20, 1024, 64 * 1024) : 64 * 1024;
        var buffer = new byte[chunk];
        var sent = 0L;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pacedUntil = TimeSpan.Zero;
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            for (var position = start; position < length;)
            {
                if (stallAt is { } s && sent >= s)
                {
                    stallAt = null;
                    await Task.Delay(faults.StallFor, context.RequestAborted);
                }

                var n = (int)Math.Min(chunk, length - position);
                if (cutAt is { } cut && sent + n > cut)
                {
                    n = (int)(cut - sent);
                }

                if (n > 0)
                {
                    file.Fill(position, buffer.AsSpan(0, n));
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    position += n;
                    sent += n;
                    entry.AddSent(n);
                }

                if (cutAt is { } c && sent >= c)
                {
                    context.Abort();
                    return;
                }

                if (rate is { } bytesPerSecond)
                {
                    // A token bucket holding 100 ms: an origin that fell behind (a busy test machine) does not send a
                    // burst to catch up, so the rate the client sees is steady and its ETA can be checked against the clock.
                    var floor = clock.Elapsed - TimeSpan.FromMilliseconds(100);
                    pacedUntil = (pacedUntil > floor ? pacedUntil : floor) + TimeSpan.FromSeconds((double)n / bytesPerSecond);
                    if (pacedUntil > clock.Elapsed)
                    {
                        await Task.Delay(pacedUntil - clock.Elapsed, context.RequestAborted);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away (paused, killed, timed out).
        }
        finally
        {
            OnAnswered?.Invoke(entry);
        }
    }

    private void Answer(HttpContext context, OriginRequest entry, int status)
    {
        context.Response.StatusCode = status;
        OnAnswered?.Invoke(entry);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _sparseDir.Dispose();
    }
}

/// <summary>One request the origin answered: what was asked, and how many body bytes went out.</summary>
public sealed record OriginRequest(string Method, string Path, string Host, string? Range, string? IfRange, bool HasAuthorization)
{
    private long _bytesSent;

    public int Status { get; init; }
    public DateTime At { get; } = DateTime.UtcNow;
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>The first byte asked for by <c>Range: bytes=N-</c>, or null.</summary>
    public long? RangeStart => Range is { } r && r.StartsWith("bytes=", StringComparison.Ordinal)
        ? long.Parse(r["bytes=".Length..].Split('-')[0], CultureInfo.InvariantCulture)
        : null;

    internal void AddSent(long n) => Interlocked.Add(ref _bytesSent, n);
}

/// <summary>A generated file of the origin, and its fault switches.</summary>
public sealed class OriginFile
{
    internal OriginFile(string name, long size, int seed, Uri url)
    {
        Name = name;
        Size = size;
        Seed = seed;
        Url = url;
        ETag = $"\"{name}-{seed}-{size}\"";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1024 * 1024];
        for (var position = 0L; position < size; position += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, size - position);
            Fill(position, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }

        Sha256 = hash.GetHashAndReset();
    }

    public string Name { get; }
    public long Size { get; }
    public int Seed { get; }
    public Uri Url { get; }
    public string ETag { get; }
    public string LastModified { get; } = "Thu, 01 Jan 2026 00:00:00 GMT";
    public byte[] Sha256 { get; }
    public string Sha256Hex => Convert.ToHexStringLower(Sha256);
    public OriginFaults Faults { get; } = new();

    /// <summary>The bytes of the file at <paramref name="position"/> (deterministic; past the end it goes on, for "longer body" faults).</summary>
    public void Fill(long position, Span<byte> destination)
    {
        var i = 0;
        while (i < destination.Length)
        {
            var p = (ulong)(position + i);
            var x = (p >> 3) * 0x9E3779B97F4A7C15UL ^ (ulong)Seed * 0xBF58476D1CE4E5B9UL;
            x ^= x >> 31;
            x *= 0x94D049BB133111EBUL;
            x ^= x >> 29;
            // One 64-bit mix gives the 8 bytes of its word.
            for (var b = (int)(p & 7); b < 8 && i < destination.Length; b++, i++)
            {
                destination[i] = (byte)(x >> (b * 8));
            }
        }
    }

    public byte[] ReadAll()
    {
        var bytes = new byte[Size];
        Fill(0, bytes);
        return bytes;
    }
}

/// <summary>Per-file faults; counters say how many responses are affected (int.MaxValue: all).</summary>
public sealed class OriginFaults
{
    public long? ThrottleBytesPerSecond { get; set; }
    public long? CutAfterBytes { get; set; }
    public int CutTimes = int.MaxValue;
    public long? StallAfterBytes { get; set; }
    public TimeSpan StallFor { get; set; } = TimeSpan.FromMinutes(5);
    public int StallTimes = int.MaxValue;
    public bool IgnoreRange { get; set; }
    public bool AnswerRangeWith416 { get; set; }
    public long ExtraBytes { get; set; }
    public long ShortBy { get; set; }
    public int ForbiddenTimes;
    public int FailStatus { get; set; } = 503;

    /// <summary>The <c>Retry-After</c> value sent with the <see cref="FailStatus"/> answers (seconds, or an HTTP date).</summary>
    public string? RetryAfter { get; set; }
    public int FailTimes;
}
