using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The gateway's validation of the discovery's <c>general</c> section: the class-validator rules of
/// discovery-general.dto.ts and the patterns of regex.validator.ts, with <c>whitelist: true</c>.
/// </summary>
public sealed partial class GetAppServerDouble
{
    private static readonly string[] OsValues = ["android", "windows", "linux", "macos"];

    // The whitelist of each general section: what the gateway keeps (anything else is stripped before the service sees it).
    private static readonly Dictionary<string, string[]> GeneralFields = new(StringComparer.Ordinal)
    {
        ["personalDevice"] = ["name", "idNumber", "personalNumber"],
        ["situationalDevice"] = ["weather", "bandwidth", "time", "operativeState", "power", "availableStorage", "location"],
        ["physicalDevice"] = ["MAC", "IP", "ID", "OS", "serialNumber", "possibleBandwidth", "availableStorage"],
    };

    /// <summary>The class-validator rules of <c>GeneralDiscoveryDto</c>; any failure rejects the whole discovery with 400.</summary>
    private static void CheckGeneral(JsonNode? general, List<string> problems)
    {
        if (general is null)
        {
            return;
        }

        if (general is not JsonObject sections)
        {
            problems.Add("nested property general must be either object or array");
            return;
        }

        foreach (var section in GeneralFields.Keys)
        {
            if (sections[section] is null)
            {
                continue;
            }

            if (sections[section] is not JsonObject values)
            {
                problems.Add($"general.nested property {section} must be either object or array");
                continue;
            }

            var at = $"general.{section}.";
            switch (section)
            {
                case "personalDevice":
                    Strings(values, at, problems, "name", "idNumber", "personalNumber");
                    break;
                case "situationalDevice":
                    Numbers(values, at, problems, "weather", "bandwidth");
                    CheckDates(values, problems, at, "time");
                    if (values["operativeState"] is { } state && state.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        problems.Add($"{at}operativeState must be a boolean value");
                    }

                    if (values["power"] is { } power)
                    {
                        var level = power.GetValueKind() == JsonValueKind.Number ? power.GetValue<double>() : double.NaN;
                        if (!(level >= 0))
                        {
                            problems.Add($"{at}power must not be less than 0");
                        }

                        if (!(level <= 100))
                        {
                            problems.Add($"{at}power must not be greater than 100");
                        }
                    }

                    Strings(values, at, problems, "availableStorage");
                    if (values["location"] is { } location)
                    {
                        if (location is not JsonObject geo)
                        {
                            problems.Add($"{at}nested property location must be either object or array");
                        }
                        else
                        {
                            foreach (var required in (string[])["lat", "long"])
                            {
                                if (geo[required]?.GetValueKind() != JsonValueKind.String)
                                {
                                    problems.Add($"{at}location.{required} must be a string");
                                }
                            }

                            Strings(geo, at + "location.", problems, "alt");
                        }
                    }

                    break;
                default:
                    Pattern(values, at, "MAC", MacPattern(), problems);
                    Pattern(values, at, "IP", IpPattern(), problems);
                    if (values["OS"] is { } os && !(os.GetValueKind() == JsonValueKind.String && OsValues.Contains(os.GetValue<string>())))
                    {
                        problems.Add($"{at}OS must be one of the following values: {string.Join(", ", OsValues)}");
                    }

                    Strings(values, at, problems, "ID", "serialNumber", "possibleBandwidth", "availableStorage");
                    break;
            }
        }
    }

    /// <summary><c>IsValidStringFor</c>: "" passes, anything else must be a string matching the pattern.</summary>
    private static void Pattern(JsonObject values, string at, string name, Regex pattern, List<string> problems)
    {
        if (values[name] is not { } value)
        {
            return;
        }

        if (value.GetValueKind() != JsonValueKind.String)
        {
            problems.Add($"{at}{name} must be a string");
        }
        else if (value.GetValue<string>() is { Length: > 0 } text && !pattern.IsMatch(text))
        {
            problems.Add($"{at}{name} is not a valid format");
        }
    }

    private static void Strings(JsonObject values, string at, List<string> problems, params string[] names)
    {
        foreach (var name in names)
        {
            if (values[name] is { } value && value.GetValueKind() != JsonValueKind.String)
            {
                problems.Add($"{at}{name} must be a string");
            }
        }
    }

    private static void Numbers(JsonObject values, string at, List<string> problems, params string[] names)
    {
        foreach (var name in names)
        {
            if (values[name] is { } value && value.GetValueKind() != JsonValueKind.Number)
            {
                problems.Add($"{at}{name} must be a number conforming to the specified constraints");
            }
        }
    }

    // regex.validator.ts, with JavaScript's end anchor.
    [GeneratedRegex(@"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})\z")]
    private static partial Regex MacPattern();

    [GeneratedRegex(@"^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\z")]
    private static partial Regex IpPattern();
}
