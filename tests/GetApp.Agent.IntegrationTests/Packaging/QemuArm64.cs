using System.Diagnostics;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>Runs an arm64 Linux executable on this machine through qemu's user-mode emulation.</summary>
internal static class QemuArm64
{
    private static readonly string? Emulator = new[] { "qemu-aarch64-static", "qemu-aarch64" }.FirstOrDefault(HostCommand.IsOnPath);

    /// <summary>The arm64 C library: multiarch (libc6:arm64) at /, or the cross toolchain's under /usr/aarch64-linux-gnu.</summary>
    private static readonly string? LibraryRoot = new[] { "/", "/usr/aarch64-linux-gnu" }
        .FirstOrDefault(root => File.Exists(Path.Combine(root, "lib", "ld-linux-aarch64.so.1")));

    /// <summary>Why arm64 executables cannot run here; null when they can.</summary>
    public static string? Unavailable()
    {
        if (Emulator is null)
        {
            return "qemu is not installed (apt-get install qemu-user-static)";
        }

        if (LibraryRoot is null)
        {
            return "the arm64 C library is not installed (dpkg --add-architecture arm64 && apt-get install libc6:arm64)";
        }

        // OpenSSL is loaded at run time: SHA-256 of every artifact goes through it.
        return File.Exists("/usr/lib/aarch64-linux-gnu/libssl.so.3") || File.Exists("/lib/aarch64-linux-gnu/libssl.so.3")
            ? null
            : "the arm64 OpenSSL is not installed (apt-get install libssl3:arm64)";
    }

    /// <summary>A start of <paramref name="executable"/> under the emulator, with these arguments.</summary>
    public static ProcessStartInfo StartInfo(string executable, params string[] arguments)
    {
        var info = new ProcessStartInfo(Emulator ?? throw new InvalidOperationException(Unavailable()));
        foreach (var argument in (string[])[executable, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        if (LibraryRoot is not null and not "/")
        {
            info.Environment["QEMU_LD_PREFIX"] = LibraryRoot;
        }

        return info;
    }
}
