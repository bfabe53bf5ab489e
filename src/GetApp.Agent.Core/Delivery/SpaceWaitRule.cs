using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// When a delivery waiting for space starts again. One the full disk stopped waits for the disk to be back (the
/// monitor's rule: room for the reserve with as much to spare); its restarted attempt then checks the room for the rest
/// of its download like any other, and when that is short it waits again, now for what it needs
/// (<see cref="Threshold"/>). The disk must not count as full for either, and the waits are served longest-waiting
/// first, each taking the room it needs from what is free: two that each fit alone but not together do not both start
/// to fail one another.
/// </summary>
public static class SpaceWaitRule
{
    /// <summary>
    /// The bytes free a delivery needs before it starts again: the rest of its download plus
    /// <c>deliveryStorageBufferBytes</c> (what its free-space check asks for), and never less than the room at which the
    /// disk counts as back (<see cref="DiskSpace.RecoverAtBytes"/>). Saturates rather than wrapping round.
    /// </summary>
    public static long Threshold(long rest, long buffer)
    {
        var needed = rest > long.MaxValue - Math.Max(0, buffer) ? long.MaxValue : Math.Max(0, rest) + Math.Max(0, buffer);
        return Math.Max(needed, DiskSpace.RecoverAtBytes);
    }

    /// <summary>The waits to start again now, in the order given (longest-waiting first).</summary>
    /// <param name="diskBack">
    /// The disk monitor has just seen the full disk come back (it made the reserve again, which may leave less than
    /// <see cref="DiskSpace.RecoverAtBytes"/> free): the deliveries the full disk stopped go on.
    /// </param>
    public static IReadOnlyList<string> Due(IEnumerable<SpaceWait> waits, long available, bool diskFull, bool diskBack = false)
    {
        ArgumentNullException.ThrowIfNull(waits);
        var due = new List<string>();
        if (diskFull)
        {
            return due;
        }

        var left = available;
        foreach (var wait in waits)
        {
            if (wait.NeededBytes is not { } needed)
            {
                // Stopped by the full disk: back with the disk; its attempt then checks what it needs.
                if (diskBack || available >= DiskSpace.RecoverAtBytes)
                {
                    due.Add(wait.CatalogId);
                }
            }
            else if (needed <= left)
            {
                due.Add(wait.CatalogId);
                left -= needed;
            }
        }

        return due;
    }
}
