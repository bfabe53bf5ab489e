using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>One received event stream item: an event (its fields as sent) or a comment (<c>: ping</c>).</summary>
public sealed record SseEvent(string? Id, string Event, string Data, string? Comment, TimeSpan At)
{
    public bool IsComment => Comment is not null;

    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}

/// <summary>
/// A client of the agent's event streams that parses <c>text/event-stream</c> as the HTML standard says (fields, comments,
/// multi-line data, the last event id), over a real HTTP connection, and keeps everything it received in order.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Channel<SseEvent> _items = Channel.CreateUnbounded<SseEvent>();
    private readonly List<SseEvent> _received = [];
    private readonly List<string> _violations = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private SseClient(HttpResponseMessage response)
    {
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>The id the stream last set (what EventSource would send as <c>Last-Event-ID</c>).</summary>
    public string? LastEventId { get; private set; }

    /// <summary>True once the server ended the stream (or it broke).</summary>
    public bool Ended { get; private set; }

    public IReadOnlyList<SseEvent> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public IReadOnlyList<SseEvent> Events => Received.Where(e => !e.IsComment).ToList();

    /// <summary>Lines that are not what the agent should send (unknown fields, a non-numeric retry).</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_received)
            {
                return [.. _violations];
            }
        }
    }

    public static async Task<SseClient> ConnectAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new HttpRequestException($"{path}: {(int)response.StatusCode} {body}", null, response.StatusCode);
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", response.Headers.CacheControl?.ToString() ?? "");
        return new SseClient(response) { LastEventId = lastEventId };
    }

    /// <summary>The next item (events and comments alike).</summary>
    public async Task<SseEvent> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            return await _items.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no event within {(timeout ?? TimeSpan.FromSeconds(20)).TotalSeconds} s; received: {Describe()}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended; received: {Describe()}");
        }
    }

    /// <summary>The next event (comments skipped).</summary>
    public async Task<SseEvent> NextEventAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var item = await NextAsync(timeout);
            if (!item.IsComment)
            {
                return item;
            }
        }
    }

    /// <summary>Reads on until an item matches; returns it (the items before it are in <see cref="Received"/>).</summary>
    public async Task<SseEvent> WaitForAsync(Func<SseEvent, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no matching event; received: {Describe()}");
            }

            var item = await NextAsync(left);
            if (match(item))
            {
                return item;
            }
        }
    }

    /// <summary>Reads the items that arrive within <paramref name="quiet"/> of each other.</summary>
    public async Task<List<SseEvent>> DrainAsync(TimeSpan quiet)
    {
        var items = new List<SseEvent>();
        while (true)
        {
            using var cts = new CancellationTokenSource(quiet);
            try
            {
                items.Add(await _items.Reader.ReadAsync(cts.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                return items;
            }
        }
    }

    public string Describe() => string.Join(" | ", Received.TakeLast(30).Select(e => e.IsComment ? $":{e.Comment}" : $"[{e.Id}] {e.Event} {(e.Data.Length > 160 ? e.Data[..160] + "…" : e.Data)}"));

    private async Task ReadAsync()
    {
        try
        {
            await using var body = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(body, Encoding.UTF8);
            string? id = null;
            string? name = null;
            var data = new StringBuilder();
            var hasData = false;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (id is not null)
                    {
                        LastEventId = id;
                    }

                    if (hasData)
                    {
                        Add(new SseEvent(id, name ?? "message", data.ToString(), null, _clock.Elapsed));
                    }

                    (id, name, hasData) = (null, null, false);
                    data.Clear();
                    continue;
                }

                if (line[0] == ':')
                {
                    Add(new SseEvent(null, "", "", line[1..].Trim(), _clock.Elapsed));
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }

                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        name = value;
                        break;
                    case "data":
                        data.Append(hasData ? "\n" : "").Append(value);
                        hasData = true;
                        break;
                    case "retry" when int.TryParse(value, out _):
                        break;
                    default:
                        lock (_received)
                        {
                            _violations.Add($"unexpected line '{line}'");
                        }

                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            // Closed by the test or by the server.
        }
        finally
        {
            Ended = true;
            _items.Writer.TryComplete();
        }
    }

    private void Add(SseEvent item)
    {
        lock (_received)
        {
            _received.Add(item);
        }

        _items.Writer.TryWrite(item);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
