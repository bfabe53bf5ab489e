using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Device;

/// <summary>
/// Device metadata is stored and sent to the server with every discovery: it is bounded (64 keys, 32 KiB as JSON, once the
/// update is applied), and an update beyond the bounds is a 400 that says which, changing nothing.
/// </summary>
public sealed class MetadataBoundsTests : IAsyncLifetime
{
    private TestAgent _agent = null!;

    public async Task InitializeAsync() => _agent = await TestAgent.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    private static JsonObject Keys(int count, string prefix = "k") =>
        new(Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"{prefix}{i}", (JsonNode?)JsonValue.Create(i))));

    private async Task<string> MetadataAsync() => await _agent.Client.GetStringAsync("/api/v2/device/metadata");

    [Fact]
    public async Task Put_MoreKeysThanTheBound_400AndNothingChanges()
    {
        var response = await _agent.Client.PutAsJsonAsync("/api/v2/device/metadata", Keys(65));

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("65 keys", error.GetProperty("message").GetString());
        Assert.Contains("at most 64", error.GetProperty("message").GetString());
        Assert.DoesNotContain("\"k0\"", await MetadataAsync());
    }

    [Fact]
    public async Task Put_KeysAddingUpBeyondTheBoundOverTwoUpdates_SecondRefused_NullStillDeletes()
    {
        (await _agent.Client.PutAsJsonAsync("/api/v2/device/metadata", Keys(60))).EnsureSuccessStatusCode();

        await HttpAssert.AppErrorAsync(await _agent.Client.PutAsJsonAsync("/api/v2/device/metadata", Keys(10, "x")), HttpStatusCode.BadRequest);

        var removeAndAdd = Keys(10, "x");
        foreach (var i in Enumerable.Range(0, 10))
        {
            removeAndAdd[$"k{i}"] = null;
        }

        Assert.Equal(HttpStatusCode.OK, (await _agent.Client.PutAsJsonAsync("/api/v2/device/metadata", removeAndAdd)).StatusCode);
    }

    [Fact]
    public async Task Put_LargerThanTheBound_400AndNothingChanges()
    {
        var response = await _agent.Client.PutAsJsonAsync("/api/v2/device/metadata", new JsonObject { ["notes"] = new string('n', 40_000) });

        var error = await HttpAssert.AppErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("at most 32768 bytes", error.GetProperty("message").GetString());
        Assert.DoesNotContain("notes", await MetadataAsync());
    }

    [Fact]
    public async Task Put_WithinTheBounds_Stored()
    {
        var metadata = Keys(62);
        metadata["notes"] = new string('n', 20_000);

        Assert.Equal(HttpStatusCode.OK, (await _agent.Client.PutAsJsonAsync("/api/v2/device/metadata", metadata)).StatusCode);
        Assert.Contains("\"k61\":61", await MetadataAsync());
    }
}
