using System.Net;
using System.Net.Http.Json;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static GetApp.Agent.IntegrationTests.Parent.ParentKit;

namespace GetApp.Agent.IntegrationTests.Parent;

/// <summary>Which secret opens what on a parent bound beyond loopback: a children secret opens the server-shaped routes only; artifacts go by signed URL.</summary>
public class ParentAuthTests
{
    private const string App = "7.site-app@1.0.0";

    [Fact]
    public async Task ChildrenSecret_OpensTheServerRoutesOnly_NeverTheLocalApi_AndArtifactsNeedNoHeader()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        server.AddRelease(App, isPush: true, files: Files("a.bin", 5000));
        await using var parent = await StartGuardedAsync(server, ["site-a", "site-b"]);
        await parent.WaitForAsync(App, s => s.State == ReleaseState.Downloaded);

        using var child = Client(parent, "site-b");
        var done = await PrepareUntilDoneAsync(child, App);
        (await child.PostAsJsonAsync("/api/v2/device/discover/component", ChildDiscoveryTests.Message("child-1"))).EnsureSuccessStatusCode();
        await HttpAssert.AppErrorAsync(await child.GetAsync("/api/v2/device/releases"), HttpStatusCode.Unauthorized);
        await HttpAssert.AppErrorAsync(await child.PostAsync($"/api/v2/delivery/start/{App}", null), HttpStatusCode.Unauthorized);

        using var stranger = Client(parent, "guess");
        await HttpAssert.AppErrorAsync(await PrepareAsync(stranger, App), HttpStatusCode.Unauthorized);
        using var bare = Client(parent, null);
        await HttpAssert.AppErrorAsync(await bare.PostAsJsonAsync("/api/v2/device/discover/component", ChildDiscoveryTests.Message("child-2")), HttpStatusCode.Unauthorized);
        Assert.Equal(5000, (await bare.GetByteArrayAsync(done["artifacts"]![0]!["url"]!.GetValue<string>())).Length);

        // The device secret opens everything, the children's routes included.
        using var owner = Client(parent, "own-secret");
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/v2/device/releases")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PrepareAsync(owner, App)).StatusCode);
    }

    [Fact]
    public async Task WithoutAChildrenSecret_ChildrenAreAskedForTheParentsDeviceSecret()
    {
        await using var server = await GetAppServerDouble.StartAsync();
        await using var parent = await StartGuardedAsync(server, []);
        using var child = Client(parent, "own-secret");
        Assert.Equal(HttpStatusCode.Created, (await child.PostAsJsonAsync("/api/v2/device/discover/component", ChildDiscoveryTests.Message("child-1"))).StatusCode);
        using var stranger = Client(parent, "site-a");
        await HttpAssert.AppErrorAsync(await stranger.PostAsJsonAsync("/api/v2/device/discover/component", ChildDiscoveryTests.Message("child-1")), HttpStatusCode.Unauthorized);
    }

    private static Task<TestAgent> StartGuardedAsync(GetAppServerDouble server, string[] childrenSecrets) =>
        TestAgent.StartAsync(
            configure: o => server.Configure(o) with { Urls = ["http://0.0.0.0:0"], DeviceSecret = "own-secret", ChildrenSecrets = childrenSecrets },
            configureServices: GetAppServerDouble.AgentServices("parent-1", s => s.AddSingleton(Fast)));

    private static HttpClient Client(TestAgent parent, string? secret)
    {
        var client = new HttpClient { BaseAddress = parent.BaseAddress };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Add("Device-Auth", secret);
        }

        return client;
    }
}
