using System.Security.Cryptography;
using System.Text;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Turns untrusted names (catalog ids, artifact names) into one safe path segment: no separators, no dot segments,
/// no control characters, bounded length. A name that had to be changed gets a short hash suffix so two different
/// names never map to the same file.
/// </summary>
public static class FileSafeName
{
    private const int MaxLength = 120;

    public static string From(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@' or '+' ? c : '_');
        }

        var safe = builder.ToString().Trim('.');
        if (safe == name && safe.Length is > 0 and <= MaxLength)
        {
            return safe;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..10];
        if (safe.Length > MaxLength)
        {
            safe = safe[..MaxLength];
        }

        return safe.Length == 0 ? hash : $"{safe}-{hash}";
    }
}
