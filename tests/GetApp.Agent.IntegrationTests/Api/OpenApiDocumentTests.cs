using System.Text.Json;
using System.Text.RegularExpressions;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Api;

public partial class OpenApiDocumentTests
{
    [Fact]
    public async Task OpenApiDocument_DescribesEveryMappedRouteAndMethod()
    {
        await using var agent = await TestAgent.StartAsync();
        var document = await HttpAssert.JsonAsync(await agent.Client.GetAsync("/api-docs/v2/openapi.json"));
        var described = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {Normalize(p.Name)}"))
            .ToHashSet();

        var mapped = agent.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .ToList();

        Assert.NotEmpty(mapped);
        Assert.All(mapped, route => Assert.Contains(route, described));
        Assert.Equal("3.0.3", document.GetProperty("openapi").GetString());
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("DeviceReleaseStatusDto", out _));
    }

    [Fact]
    public async Task OpenApiDocument_EveryReferenceResolves()
    {
        await using var agent = await TestAgent.StartAsync();
        var text = await agent.Client.GetStringAsync("/api-docs/v2/openapi.json");
        var document = JsonDocument.Parse(text).RootElement;

        foreach (Match reference in ReferencePattern().Matches(text))
        {
            var node = document;
            foreach (var part in reference.Groups[1].Value.Split('/'))
            {
                Assert.True(node.TryGetProperty(part, out node), $"unresolved $ref #/{reference.Groups[1].Value}");
            }
        }
    }

    private static string Normalize(string route) => ParameterPattern().Replace(route.TrimEnd('/'), "{}");

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex("\"\\$ref\":\\s*\"#/([^\"]+)\"")]
    private static partial Regex ReferencePattern();
}
