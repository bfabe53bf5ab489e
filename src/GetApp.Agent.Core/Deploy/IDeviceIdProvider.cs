namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// The device id shown in deploy records. A seam: the device identity service replaces the default registration.
/// </summary>
public interface IDeviceIdProvider
{
    string DeviceId { get; }
}

/// <summary>
/// A simple default until the device identity service exists: <c>DEVICE_ID</c> from the environment (GetApp's own name),
/// else <c>/etc/machine-id</c>, else the host name.
/// </summary>
public sealed class HostDeviceIdProvider : IDeviceIdProvider
{
    private readonly Lazy<string> _id = new(Resolve);

    public string DeviceId => _id.Value;

    private static string Resolve()
    {
        if (Environment.GetEnvironmentVariable("DEVICE_ID") is { Length: > 0 } fromEnv)
        {
            return fromEnv.Trim();
        }

        try
        {
            if (File.Exists("/etc/machine-id") && File.ReadAllText("/etc/machine-id").Trim() is { Length: > 0 } machineId)
            {
                return machineId;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Fall through to the host name.
        }

        return Environment.MachineName;
    }
}
