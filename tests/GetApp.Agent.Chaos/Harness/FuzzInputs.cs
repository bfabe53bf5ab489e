using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>One operation of the agent's OpenAPI document: its method, path template, parameters and body schema.</summary>
public sealed record ApiOperation(string Method, string Template, IReadOnlyList<(string Name, string In)> Parameters, JsonNode? BodySchema)
{
    /// <summary>Every operation of the document the agent serves (<c>$ref</c>s of parameters resolved).</summary>
    public static IReadOnlyList<ApiOperation> From(JsonNode document)
    {
        var operations = new List<ApiOperation>();
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description")
                {
                    continue;
                }

                var parameters = new List<(string, string)>();
                foreach (var parameter in (operation!["parameters"]?.AsArray() ?? []).Concat(item["parameters"]?.AsArray() ?? []))
                {
                    var resolved = FuzzInputs.Resolve(document, parameter);
                    if (resolved?["name"]?.GetValue<string>() is { } name && resolved["in"]?.GetValue<string>() is { } where)
                    {
                        parameters.Add((name, where));
                    }
                }

                var body = operation["requestBody"] is { } requestBody
                    ? FuzzInputs.Resolve(document, FuzzInputs.Resolve(document, requestBody)?["content"]?["application/json"]?["schema"])
                    : null;
                operations.Add(new ApiOperation(method.ToUpperInvariant(), template, parameters, body));
            }
        }

        return operations;
    }

    public bool IsEventStream => Template.StartsWith("/api/v2/events", StringComparison.Ordinal);
}

/// <summary>A fuzzed request: what is sent, exactly.</summary>
public sealed record FuzzRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string? Body, string? ContentType, string Shape, ApiOperation Operation);

/// <summary>
/// Hostile inputs for every route, all drawn from one seeded <see cref="Random"/> (so a run's inputs can be replayed):
/// ids that try to leave their folder or break parsers, query values, and bodies shaped from the route's schema then
/// broken (malformed JSON, duplicate keys, extreme numbers, wrong types, deep nesting, huge strings, lone surrogates).
/// </summary>
public sealed class FuzzInputs(Random random, JsonNode document, IReadOnlyList<string> knownIds)
{
    private static readonly string[] HostileIds =
    [
        "..", ".", "...", "%2e%2e", "%2e", "..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "%2F", "%5C", "a%2Fb", "%00", "a%00b", "%0d%0aSet-Cookie:%20x=1",
        "%27%20OR%201%3D1%20--", "%22%3E%3Cscript%3E", "%24%7Bjndi%3Aldap%3A%2F%2Fx%7D", "%25", "%25%32%65", "%ff%fe", "%c0%ae%c0%ae", "%e2%80%ae",
        "%F0%9F%92%A3@1.0.0", "%E7%89%88@1.0", "CON", "NUL", "-1", "0", "%20", "%09", "%20a%20", "*", "~", "1.x@1.0.0@extra", "@", "@@", "1.@", ".@1",
        "a.b@", "x@..", "%2E%2E%2F%2E%2E%2F", "..%252F..%252F", "\\..\\..", "1.a@1.0.0%2F..%2F..%2Fescape", "%7B%7D", "%5B%5D", "null", "undefined", "true",
    ];

    private static readonly string[] ExtremeNumbers =
    [
        "0", "-0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "1e308", "1e309", "-1e309", "1e-400", "0.5", "1.0", "1E2", "4.9e-324", "123456789012345678901234567890123456789",
        "1" + new string('0', 400), "-0.0", "3.14159",
    ];

    private static readonly string[] OddStrings =
    [
        "", " ", "\t", "\n", "\u0000", "\\u0000", "\\ud800", "\ufeff", "\u202e", "../../etc/passwd", "/etc/shadow", "file:///etc/passwd",
        "http://169.254.169.254/latest", "javascript:alert(1)", "' OR 1=1 --", "${jndi:ldap://x}", "{{7*7}}", "%n%s%x", "💣", "版本", "NaN", "Infinity", "null",
    ];

    public FuzzRequest Next(IReadOnlyList<ApiOperation> operations)
    {
        var operation = operations[random.Next(operations.Count)];
        var method = operation.Method;
        var shapes = new List<string>();
        if (random.Next(25) == 0)
        {
            // The wrong method on a real route: 405 AppError.
            method = new[] { "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" }[random.Next(6)];
            shapes.Add("method");
        }

        var path = new StringBuilder(operation.Template);
        var query = new List<string>();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, where) in operation.Parameters)
        {
            switch (where)
            {
                case "path":
                    path.Replace("{" + name + "}", PathValue(shapes));
                    break;
                case "query" when random.Next(3) > 0:
                    query.Add($"{Uri.EscapeDataString(name)}={QueryValue()}");
                    break;
                case "header" when random.Next(3) == 0:
                    headers[name] = HeaderValue();
                    break;
            }
        }

        if (random.Next(10) == 0)
        {
            query.Add($"{RandomWord()}={QueryValue()}");
        }

        string? body = null;
        string? contentType = null;
        if (operation.BodySchema is not null || random.Next(12) == 0)
        {
            (body, var shape) = Body(operation.BodySchema);
            shapes.Add(shape);
            contentType = random.Next(15) switch
            {
                0 => "text/plain",
                1 => "application/x-www-form-urlencoded",
                2 => null,
                3 => "application/json; charset=latin1",
                _ => "application/json",
            };
        }

        var target = path + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return new FuzzRequest(method, target, headers, body, contentType, shapes.Count == 0 ? "plain" : string.Join('+', shapes), operation);
    }

    private string PathValue(List<string> shapes)
    {
        switch (random.Next(10))
        {
            case < 3:
                return Uri.EscapeDataString(knownIds[random.Next(knownIds.Count)]);
            case < 4:
                shapes.Add("long-id");
                return new string('a', random.Next(2) == 0 ? 257 : random.Next(1000, 20_000));
            case < 5:
                return Uri.EscapeDataString(knownIds[random.Next(knownIds.Count)] + OddStrings[random.Next(OddStrings.Length)]);
            default:
                shapes.Add("hostile-id");
                return HostileIds[random.Next(HostileIds.Length)];
        }
    }

    private string QueryValue() => random.Next(4) switch
    {
        0 => Uri.EscapeDataString(ExtremeNumbers[random.Next(ExtremeNumbers.Length)]),
        1 => Uri.EscapeDataString(OddStrings[random.Next(OddStrings.Length)]),
        2 => HostileIds[random.Next(HostileIds.Length)],
        _ => Uri.EscapeDataString(RandomWord()),
    };

    private string HeaderValue() => random.Next(3) switch
    {
        0 => ExtremeNumbers[random.Next(ExtremeNumbers.Length)],
        1 => "bytes=" + ExtremeNumbers[random.Next(ExtremeNumbers.Length)] + "-" + (random.Next(2) == 0 ? "" : ExtremeNumbers[random.Next(ExtremeNumbers.Length)]),
        _ => RandomWord(),
    };

    private (string Body, string Shape) Body(JsonNode? schema)
    {
        var valid = schema is null ? new JsonObject { [RandomWord()] = RandomWord() } : Generate(schema, 0);
        var json = valid?.ToJsonString() ?? "null";
        switch (random.Next(12))
        {
            case 0:
                return (json, "schema-shaped");
            case 1:
                return (json.Length > 1 ? json[..random.Next(1, json.Length)] : "{", "truncated-json");
            case 2:
                return (DuplicateKey(valid), "duplicate-key");
            case 3:
                return (WithExtremeNumbers(valid), "extreme-numbers");
            case 4:
                return (WithWrongTypes(valid), "wrong-types");
            case 5:
                var depth = random.Next(2) == 0 ? 70 : 5000;
                return (string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth), "deep-nesting");
            case 6:
                return ($"{{\"{RandomWord()}\":\"{new string('x', random.Next(100_000, 900_000))}\"}}", "huge-string");
            case 7:
                return (random.Next(6) switch { 0 => "", 1 => "[]", 2 => "null", 3 => "\"text\"", 4 => "42", _ => "[{}, {}]" }, "odd-root");
            case 8:
                return ("{\"a\":\"\\ud800\",\"b\":\"\\u0000\",\"c\":\"\ufeff\"}", "escapes");
            case 9:
                return ("{'single': 'quotes', trailing: [1,2,],}", "json5");
            case 10:
                return (new string(' ', 10) + json + "garbage after", "trailing-garbage");
            default:
                return (WithOddStrings(valid), "odd-strings");
        }
    }

    /// <summary>A value of the schema's shape (resolving <c>$ref</c>), with plausible but random content.</summary>
    private JsonNode? Generate(JsonNode? schema, int depth)
    {
        schema = Resolve(document, schema);
        if (schema is null || depth > 6)
        {
            return null;
        }

        if (schema["enum"] is JsonArray values && values.Count > 0)
        {
            return values[random.Next(values.Count)]?.DeepClone();
        }

        if ((schema["oneOf"] ?? schema["anyOf"] ?? schema["allOf"]) is JsonArray options && options.Count > 0)
        {
            return Generate(options[random.Next(options.Count)], depth + 1);
        }

        var type = schema["type"] is JsonArray types ? types[random.Next(types.Count)]?.GetValue<string>() : schema["type"]?.GetValue<string>();
        switch (type ?? (schema["properties"] is not null ? "object" : "string"))
        {
            case "object":
                var result = new JsonObject();
                foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
                {
                    if (random.Next(3) > 0)
                    {
                        result[name] = Generate(property, depth + 1);
                    }
                }

                if (schema["additionalProperties"] is JsonObject extra && random.Next(2) == 0)
                {
                    result[RandomWord()] = Generate(extra, depth + 1);
                }

                return result;
            case "array":
                var array = new JsonArray();
                for (var i = random.Next(4); i > 0; i--)
                {
                    array.Add(Generate(schema["items"], depth + 1));
                }

                return array;
            case "integer":
                var min = schema["minimum"]?.GetValue<double>() ?? 0;
                var max = schema["maximum"]?.GetValue<double>() ?? 1000;
                return random.Next(4) == 0 ? JsonValue.Create((long)max + 1) : JsonValue.Create((long)Math.Clamp(min + (random.NextDouble() * Math.Min(max - min, 1e6)), min, max));
            case "number":
                return JsonValue.Create(random.NextDouble() * 100);
            case "boolean":
                return JsonValue.Create(random.Next(2) == 0);
            default:
                return schema["format"]?.GetValue<string>() == "date-time"
                    ? JsonValue.Create(random.Next(3) == 0 ? "2026-13-45T99:99:99Z" : "2026-01-01T00:00:00.000Z")
                    : JsonValue.Create(random.Next(4) == 0 ? OddStrings[random.Next(OddStrings.Length)] : RandomWord());
        }
    }

    private string DuplicateKey(JsonNode? node)
    {
        var text = node is JsonObject { Count: > 0 } o ? o.ToJsonString() : "{\"a\":1}";
        var inner = text[1..^1];
        // The first key again, at the top level or inside the first nested object.
        var firstKey = inner[..(inner.IndexOf(':', StringComparison.Ordinal) + 1)];
        return "{" + inner + "," + firstKey + (random.Next(2) == 0 ? "2" : "\"again\"") + "}";
    }

    private string WithExtremeNumbers(JsonNode? node)
    {
        if (node is not JsonObject { Count: > 0 } o)
        {
            return $"{{\"n\":{ExtremeNumbers[random.Next(ExtremeNumbers.Length)]}}}";
        }

        // Written as text so numbers beyond double and long reach the agent exactly as written.
        return "{" + string.Join(',', o.Select(p => $"{Quote(p.Key)}:{ExtremeNumbers[random.Next(ExtremeNumbers.Length)]}")) + "}";
    }

    private string WithWrongTypes(JsonNode? node)
    {
        var replacements = new[] { "\"1\"", "true", "null", "[]", "{}", "[1,2,3]", "\"\"", "{\"nested\":{\"x\":1}}" };
        if (node is not JsonObject { Count: > 0 } o)
        {
            return "{\"x\":" + replacements[random.Next(replacements.Length)] + "}";
        }

        return "{" + string.Join(',', o.Select(p => $"{Quote(p.Key)}:{replacements[random.Next(replacements.Length)]}")) + "}";
    }

    private string WithOddStrings(JsonNode? node)
    {
        if (node is not JsonObject { Count: > 0 } o)
        {
            return "{" + Quote(OddStrings[random.Next(OddStrings.Length)]) + ":1}";
        }

        return "{" + string.Join(',', o.Select(p => $"{Quote(p.Key)}:{Quote(OddStrings[random.Next(OddStrings.Length)])}")) + "}";
    }

    private static string Quote(string text) => JsonValue.Create(text).ToJsonString();

    private string RandomWord()
    {
        const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
        var length = random.Next(1, 16);
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(Letters[random.Next(Letters.Length)]);
        }

        return text.ToString();
    }

    /// <summary>Follows a local <c>$ref</c> (<c>#/components/...</c>).</summary>
    public static JsonNode? Resolve(JsonNode document, JsonNode? node)
    {
        for (var hops = 0; hops < 10 && node?["$ref"]?.GetValue<string>() is { } reference; hops++)
        {
            node = document;
            foreach (var part in reference.TrimStart('#', '/').Split('/'))
            {
                node = node?[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
            }
        }

        return node;
    }

    public static string Describe(FuzzRequest request) =>
        string.Create(CultureInfo.InvariantCulture, $"{request.Method} {(request.Path.Length > 160 ? request.Path[..160] + "…" : request.Path)} [{request.Shape}]");
}
