using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace GetApp.Agent.Tests.Device;

/// <summary>The device id is resolved as GetApp does: device_id file → DEVICE_ID → machine id → generated and saved.</summary>
public sealed class DeviceIdentityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"getapp-id-{Guid.NewGuid():N}");

    public DeviceIdentityTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private DeviceIdentity Identity(string? env = null, string? machineId = null)
    {
        var machinePath = Path.Combine(_dir, "machine-id");
        if (machineId is not null)
        {
            File.WriteAllText(machinePath, machineId + "\n");
        }

        return new DeviceIdentity(new DataDirectory(Path.Combine(_dir, "data")), new DeviceSeed { DeviceId = env, MachineIdPath = machinePath }, NullLogger<DeviceIdentity>.Instance);
    }

    [Fact]
    public void DeviceId_FileEnvAndMachineId_FileWins()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.WriteAllText(Path.Combine(_dir, "data", "device_id"), "from-file\n");

        var identity = Identity(env: "from-env", machineId: "from-machine");

        Assert.Equal("from-file", identity.DeviceId);
        Assert.Equal("file", identity.Source);
    }

    [Fact]
    public void DeviceId_EnvAndMachineId_EnvWins()
    {
        var identity = Identity(env: "from-env", machineId: "from-machine");

        Assert.Equal("from-env", identity.DeviceId);
        Assert.False(File.Exists(identity.FilePath));
    }

    [Fact]
    public void DeviceId_OnlyMachineId_IsMachineId()
    {
        Assert.Equal("0123abcd", Identity(machineId: "0123abcd").DeviceId);
    }

    [Fact]
    public void DeviceId_NothingConfigured_GeneratedSavedAndReusedByTheNextStart()
    {
        var first = Identity().DeviceId;

        var second = Identity();

        Assert.Equal(first, second.DeviceId);
        Assert.Equal("file", second.Source);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" padded ")]
    [InlineData("line\nbreak")]
    public void Check_InvalidId_GivesReason(string id)
    {
        Assert.NotNull(DeviceIdentity.Check(id));
    }
}
