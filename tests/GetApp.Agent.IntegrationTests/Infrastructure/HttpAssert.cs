using System.Net;
using System.Text.Json;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

public static class HttpAssert
{
    /// <summary>Asserts the status code and that the body is the AppError <c>{message, name, statusCode}</c> with that code.</summary>
    public static async Task<JsonElement> AppErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var json = JsonDocument.Parse(text).RootElement;
        ContractSchema.AssertValidAppError(json);
        Assert.Equal((int)expected, json.GetProperty("statusCode").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("message").GetString()));
        Assert.DoesNotContain("   at ", text); // never a stack trace
        return json;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }
}
