using System.Text;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// Splits a release's <c>arguments</c> string into argv words with POSIX-shell-like quoting (single quotes, double
/// quotes, backslash escapes) and nothing else: no variables, no command substitution, no globbing, no operators, no
/// comments. <c>;</c>, <c>|</c>, <c>$(...)</c> and <c>#</c> are plain characters. The words go to the installer through
/// <c>execve</c> directly, never through a shell.
/// </summary>
public static class ArgumentTokenizer
{
    /// <summary>The words of <paramref name="arguments"/>; throws <see cref="FormatException"/> on an unterminated quote.</summary>
    public static IReadOnlyList<string> Split(string? arguments)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(arguments))
        {
            return words;
        }

        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < arguments.Length; i++)
        {
            var c = arguments[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    var close = arguments.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"unterminated single quote at position {i} of the arguments");
                    }

                    word.Append(arguments, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i = ReadDoubleQuoted(arguments, i, word);
                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 < arguments.Length)
                    {
                        i++;
                        // Backslash-newline is a line continuation, as in a shell.
                        if (arguments[i] != '\n')
                        {
                            word.Append(arguments[i]);
                            inWord = true;
                        }
                    }
                    else
                    {
                        word.Append('\\');
                        inWord = true;
                    }

                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    // Inside double quotes a backslash escapes only " \ $ ` and newline (POSIX); $ and ` themselves stay literal here.
    private static int ReadDoubleQuoted(string text, int open, StringBuilder word)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                return i;
            }

            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`' or '\n')
            {
                i++;
                if (text[i] != '\n')
                {
                    word.Append(text[i]);
                }

                continue;
            }

            word.Append(c);
        }

        throw new FormatException($"unterminated double quote at position {open} of the arguments");
    }
}
