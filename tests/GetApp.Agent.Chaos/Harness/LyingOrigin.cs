using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// An origin on a raw loopback socket, for the faults a well-behaved HTTP server (Kestrel, <see cref="TestOrigin"/>)
/// refuses to commit: a Content-Length that lies either way, a TCP reset in the middle of a body, 429 with
/// Retry-After, a redirect to itself, a byte flipped on the way, an origin that accepts and never answers, garbage
/// instead of HTTP. Files are the same generated <see cref="OriginFile"/>s. One request per connection
/// (<c>Connection: close</c>); Range is honoured unless the fault says otherwise.
/// </summary>
public sealed class LyingOrigin : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, LyingFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _accepting;

    public LyingOrigin()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri BaseAddress { get; }

    /// <summary>
    /// Serves <paramref name="file"/> at <c>/lie/{name}</c> (its own name, or <paramref name="servedAs"/>, escaped as one
    /// path segment) with <paramref name="fault"/> on its first <paramref name="times"/> answers.
    /// </summary>
    public LyingFile Add(OriginFile file, LyingFault fault, int times = int.MaxValue, int retryAfterSeconds = 0, long atByte = 0, string? servedAs = null)
    {
        var name = servedAs ?? file.Name;
        var lying = new LyingFile(file, fault, times, retryAfterSeconds, atByte, new Uri(BaseAddress, $"lie/{Uri.EscapeDataString(name)}"));
        _files[name] = lying;
        return lying;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _connections.Add(Task.Run(() => ServeAsync(socket)));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var head = await ReadHeadAsync(stream);
            if (head is null)
            {
                return;
            }

            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            // The query (a presigned URL's signature) is not part of the name.
            var path = (parts.Length > 1 ? parts[1] : "/").Split('?')[0];
            long? rangeStart = null;
            foreach (var line in lines.Skip(1))
            {
                if (line.StartsWith("Range:", StringComparison.OrdinalIgnoreCase) && line.Split('=', 2) is [_, var spec])
                {
                    rangeStart = long.Parse(spec.Split('-')[0], CultureInfo.InvariantCulture);
                }
            }

            var name = Uri.UnescapeDataString(path.Split('/').Last());
            if (!path.StartsWith("/lie/", StringComparison.Ordinal) || !_files.TryGetValue(name, out var file))
            {
                await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }

            var faulty = file.TakeFault();
            file.Record(rangeStart, faulty);
            await AnswerAsync(socket, stream, file, faulty ? file.Fault : LyingFault.None, rangeStart);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The agent hung up (stall timeout, pause, kill): nothing to answer.
        }
    }

    private async Task AnswerAsync(Socket socket, NetworkStream stream, LyingFile lying, LyingFault fault, long? rangeStart)
    {
        var file = lying.File;
        switch (fault)
        {
            case LyingFault.TooManyRequests:
                await WriteAsync(stream, $"HTTP/1.1 429 Too Many Requests\r\nRetry-After: {lying.RetryAfterSeconds}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            case LyingFault.RedirectLoop:
                await WriteAsync(stream, $"HTTP/1.1 302 Found\r\nLocation: {lying.Url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            case LyingFault.Silent:
                await Task.Delay(Timeout.Infinite, _stop.Token);
                return;
            case LyingFault.Garbage:
                await WriteAsync(stream, "HELLO THERE\r\nthis is not HTTP at all\r\n\r\n");
                return;
        }

        var start = rangeStart is { } r && r <= file.Size ? r : 0;
        if (rangeStart is { } asked && asked >= file.Size)
        {
            await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{file.Size}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }

        var body = file.Size - start;
        var announced = fault switch
        {
            LyingFault.LongerContentLength => body + 1000,
            LyingFault.ShorterContentLength => body - Math.Min(body, 1000),
            _ => body,
        };
        var status = rangeStart is not null ? "206 Partial Content" : "200 OK";
        var headers = new StringBuilder();
        headers.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status}\r\nContent-Length: {announced}\r\nETag: {file.ETag}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n");
        if (rangeStart is not null)
        {
            headers.Append(CultureInfo.InvariantCulture, $"Content-Range: bytes {start}-{file.Size - 1}/{file.Size}\r\n");
        }

        await WriteAsync(stream, headers.Append("\r\n").ToString());
        var buffer = new byte[64 * 1024];
        var flip = fault == LyingFault.FlippedByte ? file.Size / 2 : -1;
        for (var position = start; position < file.Size;)
        {
            var n = (int)Math.Min(buffer.Length, file.Size - position);
            if (fault == LyingFault.Reset && position - start + n > lying.AtByte)
            {
                n = (int)Math.Max(0, lying.AtByte - (position - start));
                if (n > 0)
                {
                    file.Fill(position, buffer.AsSpan(0, n));
                    await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                    lying.AddSent(n);
                }

                // RST instead of FIN: the client sees "connection reset by peer" in the middle of the body.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
                return;
            }

            file.Fill(position, buffer.AsSpan(0, n));
            if (flip >= position && flip < position + n)
            {
                buffer[flip - position] ^= 0x20;
            }

            await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            lying.AddSent(n);
            position += n;
        }

        await stream.FlushAsync(_stop.Token);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>(1024);
        var one = new byte[1];
        while (bytes.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            bytes.Add(one[0]);
            if (bytes.Count >= 4 && bytes[^1] == '\n' && bytes[^2] == '\r' && bytes[^3] == '\n' && bytes[^4] == '\r')
            {
                return Encoding.ASCII.GetString([.. bytes]);
            }
        }

        return null;
    }

    private Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text), _stop.Token).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}

public enum LyingFault
{
    None,
    Reset,
    TooManyRequests,
    LongerContentLength,
    ShorterContentLength,
    RedirectLoop,
    FlippedByte,
    Silent,
    Garbage,
}

/// <summary>A file of the <see cref="LyingOrigin"/>, its fault, and what it answered.</summary>
public sealed class LyingFile(OriginFile file, LyingFault fault, int times, int retryAfterSeconds, long atByte, Uri url)
{
    private readonly ConcurrentQueue<(DateTime At, long? RangeStart, bool Faulty)> _requests = new();
    private int _faultsLeft = times;
    private long _sent;

    public OriginFile File { get; } = file;
    public LyingFault Fault { get; } = fault;
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
    public long AtByte { get; } = atByte;
    public Uri Url { get; } = url;
    public long BytesSent => Interlocked.Read(ref _sent);
    public IReadOnlyList<(DateTime At, long? RangeStart, bool Faulty)> Requests => [.. _requests];
    public int FaultsInjected => Requests.Count(r => r.Faulty);

    internal bool TakeFault() => Interlocked.Decrement(ref _faultsLeft) >= 0;

    /// <summary>No fault from now on (the cause went away: a retry must deliver).</summary>
    public void Heal() => Interlocked.Exchange(ref _faultsLeft, 0);

    internal void Record(long? rangeStart, bool faulty) => _requests.Enqueue((DateTime.UtcNow, rangeStart, faulty));

    internal void AddSent(long n) => Interlocked.Add(ref _sent, n);
}
