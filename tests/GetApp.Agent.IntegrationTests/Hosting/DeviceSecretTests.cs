using System.Diagnostics;
using System.Net;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Hosting;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>An empty or blank device secret protects nothing (HTTP trims header values): it is refused like a missing one.</summary>
public class DeviceSecretTests
{
    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t  ")]
    public void Build_NonLoopbackBindWithBlankSecret_IsRefusedLikeAMissingOne(string secret)
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            AgentHost.Build(new AgentOptions { Urls = ["http://0.0.0.0:0"], DataDir = "unused", DeviceSecret = secret }));

        Assert.Contains("Refusing to listen on http://0.0.0.0:0", e.Message);
        Assert.Contains("empty", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(" s3cret")]
    [InlineData("s3cret\t")]
    public void Build_NonLoopbackBindWithSecretThatHttpWouldTrim_IsRefused(string secret)
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            AgentHost.Build(new AgentOptions { Urls = ["http://0.0.0.0:0"], DataDir = "unused", DeviceSecret = secret }));

        Assert.Contains("white space", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Fact]
    public async Task LoopbackBindWithBlankSecret_StartsWithoutAuthentication_AsWithoutASecret()
    {
        await using var agent = await TestAgent.StartAsync(configure: o => o with { DeviceSecret = "  " });
        using var client = new HttpClient { BaseAddress = agent.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v2/device/releases")).StatusCode);
    }

    [Fact]
    public async Task Run_NetworkBindWithEmptyDeviceSecretArgument_ExitsWithOneClearLine()
    {
        using var data = new TempDirectory();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "getapp-agent.dll"), "run",
                     "--urls", "http://0.0.0.0:0", "--data-dir", data.Path, "--device-secret", ""])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, process.ExitCode);
        Assert.Single(lines);
        Assert.StartsWith("getapp-agent: Refusing to listen on http://0.0.0.0:0", lines[0]);
        Assert.Contains("empty", lines[0]);
        Assert.DoesNotContain("listening on", await stdout);
    }
}
