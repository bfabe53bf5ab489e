namespace GetApp.Agent.Core.Device;

/// <summary>
/// First-run values of the device's identity and enrollment, from GetApp's own environment names: <c>DEVICE_ID</c>,
/// <c>DEVICE_TYPE_TOKEN</c> (comma-separated), <c>PLATFORM_TYPE_TOKEN</c> (or <c>DEVICE_PLATFORM_TOKEN</c> /
/// <c>DEVICE_PLATFORM_TYPE_TOKEN</c>), <c>PLATFORM_TYPE_ID</c>. Values changed later through the enrollment API win.
/// </summary>
public sealed record DeviceSeed
{
    public string? DeviceId { get; init; }
    public IReadOnlyList<string> DeviceTypes { get; init; } = [DefaultDeviceType];
    public string Platform { get; init; } = "";
    public string PlatformId { get; init; } = "";

    /// <summary>The hardware id used when neither a <c>device_id</c> file nor <c>DEVICE_ID</c> names the device.</summary>
    public string MachineIdPath { get; init; } = "/etc/machine-id";

    /// <summary>GetApp's OS default device type (<c>agent_linux</c>, <c>agent_windows</c>, <c>agent_macos</c>).</summary>
    public static string DefaultDeviceType =>
        OperatingSystem.IsLinux() ? "agent_linux" : OperatingSystem.IsWindows() ? "agent_windows" : OperatingSystem.IsMacOS() ? "agent_macos" : "agent";

    public static DeviceSeed FromEnvironment(Func<string, string?> environment)
    {
        string? Env(params string[] names) => names.Select(environment).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
        var types = Env("DEVICE_TYPE_TOKEN")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new DeviceSeed
        {
            DeviceId = Env("DEVICE_ID"),
            DeviceTypes = types is { Length: > 0 } ? types : [DefaultDeviceType],
            Platform = Env("PLATFORM_TYPE_TOKEN", "DEVICE_PLATFORM_TOKEN", "DEVICE_PLATFORM_TYPE_TOKEN") ?? "",
            PlatformId = Env("PLATFORM_TYPE_ID") ?? "",
        };
    }
}
