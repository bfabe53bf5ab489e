using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The project's contract for the seed endpoint and the AppError body: <c>docs/contracts/device-release-status.schema.json</c>, evaluated with format checks on (dates must be date-times).
/// </summary>
public static class ContractSchema
{
    private static readonly Lazy<(JsonSchema Status, JsonSchema AppError)> Schemas = new(Load);

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    public static string SchemaPath => Path.Combine(RepoPaths.Root, "docs", "contracts", "device-release-status.schema.json");

    public static void AssertValidStatus(JsonElement json) => AssertValid(Schemas.Value.Status, json);

    public static void AssertValidAppError(JsonElement json) => AssertValid(Schemas.Value.AppError, json);

    private static void AssertValid(JsonSchema schema, JsonElement json)
    {
        var result = schema.Evaluate(json, Options);
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
            Assert.Fail($"JSON does not match the contract:\n{string.Join("\n", errors)}\n{json}");
        }
    }

    private static (JsonSchema, JsonSchema) Load()
    {
        var text = File.ReadAllText(SchemaPath);
        var status = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        var appError = JsonNode.Parse(text)!["$defs"]!["AppError"]!.DeepClone().AsObject();
        return (status, JsonSchema.FromText(appError.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri("https://getapp-agent.test/app-error.schema.json")));
    }
}
