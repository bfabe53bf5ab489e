using System.Text;
using GetApp.Agent.Core.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Device;

/// <summary>
/// The device id, resolved as GetApp does: a <c>device_id</c> file in the data dir, then <c>DEVICE_ID</c>, then the
/// machine id; when none exists a new id is generated and written to <c>device_id</c>, so it never changes across
/// restarts. Changing the id through the enrollment API rewrites that file.
/// </summary>
public sealed partial class DeviceIdentity(DataDirectory dataDirectory, DeviceSeed seed, ILogger<DeviceIdentity> logger)
{
    public const string FileName = "device_id";
    public const int MaxLength = 200;

    private readonly Lock _lock = new();
    private string? _id;

    public string FilePath => Path.Combine(dataDirectory.Root, FileName);

    /// <summary>Where the id came from: <c>file</c>, <c>env</c>, <c>machine-id</c> or <c>generated</c>.</summary>
    public string Source { get; private set; } = "";

    public string DeviceId
    {
        get
        {
            lock (_lock)
            {
                return _id ??= Resolve();
            }
        }
    }

    /// <summary>Makes <paramref name="deviceId"/> the device's id from now on (writes the <c>device_id</c> file).</summary>
    public void Change(string deviceId)
    {
        lock (_lock)
        {
            Write(deviceId);
            _id = deviceId;
            Source = "file";
        }
    }

    /// <summary>Null when the text can be a device id, else the reason.</summary>
    public static string? Check(string? id) =>
        string.IsNullOrWhiteSpace(id) ? "the device id must not be empty"
        : id.Length > MaxLength ? $"the device id is longer than {MaxLength} characters"
        : id.Any(char.IsControl) ? "the device id must not contain control characters"
        : id.Trim() != id ? "the device id must not start or end with spaces"
        : null;

    private string Resolve()
    {
        if (ReadFirstLine(FilePath) is { } fromFile && Check(fromFile) is null)
        {
            Source = "file";
            return fromFile;
        }

        if (seed.DeviceId is { } fromEnv && Check(fromEnv) is null)
        {
            Source = "env";
            return fromEnv;
        }

        if (ReadFirstLine(seed.MachineIdPath) is { } machineId && Check(machineId) is null)
        {
            Source = "machine-id";
            return machineId;
        }

        var generated = Guid.NewGuid().ToString("N");
        Write(generated);
        Source = "generated";
        LogGenerated(generated, FilePath);
        return generated;
    }

    private void Write(string id)
    {
        Directory.CreateDirectory(dataDirectory.Root);
        var temp = FilePath + ".tmp";
        File.WriteAllText(temp, id + "\n", Encoding.UTF8);
        File.Move(temp, FilePath, overwrite: true);
    }

    private static string? ReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() is { Length: > 0 } line ? line : null : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "No device id configured; generated {DeviceId} and saved it to {Path}")]
    private partial void LogGenerated(string deviceId, string path);
}
