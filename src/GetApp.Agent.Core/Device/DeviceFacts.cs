using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace GetApp.Agent.Core.Device;

/// <summary>
/// The metadata the agent computes itself (read-only in the API): OS, OS release, free storage of the data dir, and
/// the MAC and IP address of the first active non-loopback interface. Values are shaped to pass the server's strict
/// checks (§9.11): <c>os</c> is one of android/windows/linux/macos, the MAC is colon-separated hex.
/// </summary>
public static class DeviceFacts
{
    public static string Os =>
        OperatingSystem.IsAndroid() ? "android" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "linux";

    public static string OsRelease
    {
        get
        {
            if (OperatingSystem.IsLinux())
            {
                try
                {
                    foreach (var line in File.ReadLines("/etc/os-release"))
                    {
                        if (line.StartsWith("VERSION_ID=", StringComparison.Ordinal))
                        {
                            return line["VERSION_ID=".Length..].Trim('"');
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Fall back to the kernel version below.
                }
            }

            return Environment.OSVersion.Version.ToString();
        }
    }

    public static long? StorageAvailable(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>MAC (<c>aa:bb:cc:dd:ee:ff</c>) and IPv4 of the first interface that is up and not loopback.</summary>
    public static (string? Mac, string? Ip) Network()
    {
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType is NetworkInterfaceType.Loopback or NetworkInterfaceType.Tunnel)
                {
                    continue;
                }

                var bytes = nic.GetPhysicalAddress().GetAddressBytes();
                var ip = nic.GetIPProperties().UnicastAddresses
                    .FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address.ToString();
                if (bytes.Length == 6 || ip is not null)
                {
                    return (bytes.Length == 6 ? string.Join(':', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))) : null, ip);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface information on this platform: leave them unknown.
        }

        return (null, null);
    }
}
