using System.Text;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Api;

/// <summary>
/// Serves the OpenAPI document at <c>/api-docs/v2/openapi.json</c>. It is written by hand, one JSON file per API area
/// under <c>Api/OpenApi/</c> (embedded), so that names, nullability and enum spellings are exactly GetApp's; the areas
/// are merged once at start. A test checks that it describes every mapped route.
/// </summary>
internal static class OpenApiDocumentApi
{
    private const string Prefix = "GetApp.Agent.Api.OpenApi.";

    private static readonly Lazy<byte[]> Document = new(() => Encoding.UTF8.GetBytes(Build().ToJsonString()));

    public static IEndpointRouteBuilder MapOpenApiDocument(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api-docs/v2/openapi.json", () => Results.Bytes(Document.Value, "application/json"));
        return app;
    }

    internal static JsonObject Build()
    {
        var assembly = typeof(OpenApiDocumentApi).Assembly;
        var document = Load(Prefix + "document.json");
        var paths = document["paths"]!.AsObject();
        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (name == Prefix + "document.json")
            {
                continue;
            }

            var area = Load(name);
            foreach (var (path, item) in area["paths"]?.AsObject().ToList() ?? [])
            {
                paths[path] = item!.DeepClone();
            }

            // Every section of components (schemas, parameters, responses...) merges by name.
            foreach (var (section, members) in area["components"]?.AsObject().ToList() ?? [])
            {
                var target = section == "schemas" ? schemas : (document["components"]![section] ??= new JsonObject()).AsObject();
                foreach (var (member, body) in members?.AsObject().ToList() ?? [])
                {
                    target[member] = body!.DeepClone();
                }
            }
        }

        return document;

        JsonObject Load(string resource)
        {
            using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"embedded resource {resource} is missing");
            return JsonNode.Parse(stream)!.AsObject();
        }
    }
}
