namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Orders strings as SQLite's BINARY collation orders TEXT: by their UTF-8 bytes, which is code point order. Plain
/// ordinal comparison orders UTF-16 code units and so puts U+E000–U+FFFF after characters beyond U+FFFF.
/// </summary>
public sealed class Utf8Ordinal : IComparer<string?>
{
    public static readonly Utf8Ordinal Comparer = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            if (x[i] != y[i])
            {
                return CodePointOrder(x[i]) - CodePointOrder(y[i]);
            }
        }

        return x.Length - y.Length;
    }

    // Surrogates (a code point above U+FFFF) sort after every other code unit, as their code points do.
    private static int CodePointOrder(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
}
