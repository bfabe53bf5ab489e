using System.Globalization;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// What the kernel holds in the TCP connections of a loopback port (<c>/proc/net/tcp</c>, <c>tcp6</c>): each socket's send
/// queue (written by its process, not yet taken by the peer) and receive queue (arrived, not yet read by its process).
/// When a process is killed these bytes are lost with its sockets: bytes an origin counts as sent that were never
/// anywhere the agent could keep them. Kill accounting counts them apart.
/// </summary>
public static class SocketQueues
{
    private const string Established = "01";

    /// <summary>True where the kernel says (Linux); elsewhere <see cref="BytesOf"/> is always 0.</summary>
    public static bool Available => File.Exists("/proc/net/tcp");

    /// <summary>The bytes queued, both ways and on both ends, in every established connection from or to <paramref name="port"/>.</summary>
    public static long BytesOf(int port)
    {
        var total = 0L;
        foreach (var table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue ...
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[3] != Established || (PortOf(fields[1]) != port && PortOf(fields[2]) != port))
                {
                    continue;
                }

                var queues = fields[4].Split(':');
                total += long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                    + long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static int PortOf(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

/// <summary>What a sender had sent when the agent was killed, and how much of it was still in the kernel's socket queues.</summary>
public sealed record KillAccount(long Sent, long InSockets);

public static class KillAccounting
{
    /// <summary>
    /// kill -9, reading first what only the instant of the kill shows: the agent is stopped (SIGSTOP), the sender goes on
    /// until the socket queues of <paramref name="port"/> are full and <paramref name="sent"/> stops moving; then the
    /// queues are read and the agent killed. The bytes in them were never the agent's to keep: a kill count them apart.
    /// </summary>
    public static async Task<KillAccount> KillAsync(AgentProcess agent, int port, Func<long> sent)
    {
        await agent.FreezeAsync();
        var settled = await SettledAsync(sent);
        var inSockets = SocketQueues.BytesOf(port);
        await agent.KillAsync();
        return new KillAccount(settled, inSockets);
    }

    /// <summary>The value once it has not changed for half a second (at most 10 s).</summary>
    private static async Task<long> SettledAsync(Func<long> read)
    {
        var last = read();
        var stable = 0;
        for (var i = 0; i < 40 && stable < 2; i++)
        {
            await Task.Delay(250);
            var now = read();
            stable = now == last ? stable + 1 : 0;
            last = now;
        }

        return last;
    }
}
