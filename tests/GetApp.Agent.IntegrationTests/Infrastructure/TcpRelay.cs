using System.Net;
using System.Net.Sockets;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP relay on loopback between an agent and its upstream: counts the bytes the upstream sent back, can slow them
/// down, and can be pointed at another port (an upstream restarted elsewhere) while its own address stays the same.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private long _downstreamBytes;

    public TcpRelay(int targetPort)
    {
        TargetPort = targetPort;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Where new connections go.</summary>
    public int TargetPort { get; set; }

    /// <summary>Bytes the upstream sent through the relay so far.</summary>
    public long DownstreamBytes => Interlocked.Read(ref _downstreamBytes);

    /// <summary>When set, upstream-to-agent bytes go no faster than this (per connection).</summary>
    public long? ThrottleBytesPerSecond { get; set; }

    /// <summary>Drops every open connection, as when the upstream's process dies.</summary>
    public void DropAll()
    {
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient { NoDelay = true };
        lock (_open)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
            var up = CopyAsync(inbound.GetStream(), outbound.GetStream(), count: false);
            var down = CopyAsync(outbound.GetStream(), inbound.GetStream(), count: true);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            inbound.Dispose();
            outbound.Dispose();
            lock (_open)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }
        }
    }

    private async Task CopyAsync(Stream from, Stream to, bool count)
    {
        var buffer = new byte[64 * 1024];
        var started = DateTime.UtcNow;
        long moved = 0;
        try
        {
            while (true)
            {
                var limit = count ? ThrottleBytesPerSecond : null;
                var read = await from.ReadAsync(buffer.AsMemory(0, limit is null ? buffer.Length : 16 * 1024), _stop.Token);
                if (read == 0)
                {
                    to.Close();
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                if (count)
                {
                    Interlocked.Add(ref _downstreamBytes, read);
                }

                moved += read;
                if (limit is { } rate)
                {
                    var due = started + TimeSpan.FromSeconds((double)moved / rate);
                    if (due > DateTime.UtcNow)
                    {
                        await Task.Delay(due - DateTime.UtcNow, _stop.Token);
                    }
                }
                else
                {
                    started = DateTime.UtcNow;
                    moved = 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
