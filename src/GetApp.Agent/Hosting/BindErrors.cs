using System.Net.Sockets;
using System.Text.RegularExpressions;
using GetApp.Agent.Core.Hosting;
using Microsoft.AspNetCore.Connections;

namespace GetApp.Agent.Hosting;

/// <summary>Turns Kestrel's bind failures into one line that names the address and what to do.</summary>
internal static partial class BindErrors
{
    public static async Task TranslateAsync(Func<Task> start, AgentOptions options)
    {
        try
        {
            await start().ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, options) is { } problem)
        {
            throw problem;
        }
    }

    private static AgentConfigurationException? Translate(Exception e, AgentOptions options)
    {
        var all = Flatten(e).ToList();
        var address = all.Select(x => FailedAddress().Match(x.Message)).FirstOrDefault(m => m.Success)?.Groups[1].Value.TrimEnd('.')
            ?? string.Join(", ", options.Urls);
        var (host, port) = Uri.TryCreate(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            ? (uri.Host, uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : ("127.0.0.1", "PORT");
        var scheme = uri?.Scheme ?? "http";

        if (all.Any(x => x is AddressInUseException || x is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }))
        {
            return new AgentConfigurationException(
                $"Cannot listen on {address}: port {port} is already in use (another getapp-agent, or another program, listens there): " +
                $"stop it, or choose a free port with --urls {scheme}://{host}:OTHER_PORT (or GATEWAY_PORT)", e);
        }

        if (all.Any(x => x is SocketException { SocketErrorCode: SocketError.AccessDenied }))
        {
            return new AgentConfigurationException(
                $"Cannot listen on {address}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE): choose a port above 1023 with --urls {scheme}://{host}:2220", e);
        }

        if (all.Any(x => x is SocketException { SocketErrorCode: SocketError.AddressNotAvailable }))
        {
            return new AgentConfigurationException(
                $"Cannot listen on {address}: {host} is not an address of this machine: use one of its addresses, 127.0.0.1, or 0.0.0.0 for all of them (--urls)", e);
        }

        if (all.FirstOrDefault(x => x is IOException && FailedAddress().IsMatch(x.Message)) is { } io)
        {
            return new AgentConfigurationException($"Cannot listen on {address}: {io.InnerException?.Message ?? io.Message}: check --urls", e);
        }

        return null;
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
            if (x is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }

    [GeneratedRegex(@"Failed to bind to address (\S+?)(?::\s| |$)")]
    private static partial Regex FailedAddress();
}
