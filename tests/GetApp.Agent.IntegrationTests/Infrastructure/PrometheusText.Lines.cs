using System.Globalization;
using System.Text;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>One sample line (<c>name{label="value",...} value [timestamp]</c>) and the escapes of the format.</summary>
public static partial class PrometheusText
{
    private static MetricSample ParseSample(string line, Func<string> where)
    {
        var match = MetricName().Match(line);
        if (!match.Success || match.Index != 0)
        {
            throw new FormatException($"a sample must start with a metric name, {where()}");
        }

        var name = match.Value;
        var position = name.Length;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (true)
            {
                if (position < line.Length && line[position] == '}')
                {
                    position++;
                    break;
                }

                var labelName = LabelName().Match(line, position);
                if (!labelName.Success || labelName.Index != position || labelName.Value.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new FormatException($"invalid label name, {where()}");
                }

                position += labelName.Length;
                if (position + 1 >= line.Length || line[position] != '=' || line[position + 1] != '"')
                {
                    throw new FormatException($"a label needs =\"value\", {where()}");
                }

                position += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (position >= line.Length)
                    {
                        throw new FormatException($"unterminated label value, {where()}");
                    }

                    var c = line[position++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (position >= line.Length)
                        {
                            throw new FormatException($"a lone backslash, {where()}");
                        }

                        value.Append(line[position++] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var other => throw new FormatException($"invalid escape \\{other}, {where()}"),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                if (!labels.TryAdd(labelName.Value, value.ToString()))
                {
                    throw new FormatException($"label {labelName.Value} twice, {where()}");
                }

                if (position < line.Length && line[position] == ',')
                {
                    position++;
                }
                else if (position >= line.Length || line[position] != '}')
                {
                    throw new FormatException($"labels must be separated by commas, {where()}");
                }
            }
        }

        if (position >= line.Length || line[position] != ' ')
        {
            throw new FormatException($"a space must separate the series from its value, {where()}");
        }

        var rest = line[(position + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2 || !TryParseValue(rest[0], out var number) || (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"invalid value or timestamp, {where()}");
        }

        return new MetricSample(name, labels, number);
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "NaN":
                value = double.NaN;
                return true;
            case "+Inf" or "Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !text.Contains(',') && text.Trim() == text;
    }

    private static string UnescapeHelp(string help, Func<string> where)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < help.Length; i++)
        {
            if (help[i] != '\\')
            {
                builder.Append(help[i]);
                continue;
            }

            if (++i >= help.Length || help[i] is not ('\\' or 'n'))
            {
                throw new FormatException($"invalid escape in HELP, {where()}");
            }

            builder.Append(help[i] == 'n' ? '\n' : '\\');
        }

        return builder.ToString();
    }
}
