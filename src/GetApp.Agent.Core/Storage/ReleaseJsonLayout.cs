namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Where the status's fields lie in a row's stored release JSON (<see cref="ReleaseStatusWriter.Names"/>), found once
/// per row: a row never changes, and the list writes every release's status on each request, where scanning each
/// release JSON again was a third of the list's CPU. A field whose stored bytes are already what the status writes for
/// it (GetApp's services write compact JSON, plain strings and wire dates) is marked verbatim and copied as it is.
/// </summary>
/// <remarks>
/// Held as one <c>int[]</c> per row (start and length of each field, then the verbatim fields' bits): about 140 bytes a
/// release, where the rendered status it spares is about 700.
/// </remarks>
internal readonly struct ReleaseJsonLayout
{
    /// <summary>A release JSON the scan leaves to the DTO's way (not one plain object, a field twice, not UTF-8).</summary>
    public static readonly int[] NotPlainLayout = [];

    private readonly int[] _spans;

    public ReleaseJsonLayout(int[] spans) => _spans = spans;

    public bool IsPlain => _spans.Length != 0;

    /// <summary>The array the row keeps.</summary>
    public int[] Spans => _spans;

    /// <summary>Where <paramref name="field"/>'s value lies (an empty range when the JSON does not have it).</summary>
    public Range this[int field] => _spans[2 * field]..(_spans[2 * field] + _spans[(2 * field) + 1]);

    /// <summary>True when the value's stored bytes are what the status writes for it.</summary>
    public bool IsVerbatim(int field) => (_spans[^1] & (1 << field)) != 0;

    /// <summary>The layout of <paramref name="fields"/> (as <see cref="ReleaseJsonFields.TryScan"/> found them).</summary>
    public static int[] Of(ReadOnlySpan<Range> fields, int verbatim)
    {
        var spans = new int[(2 * fields.Length) + 1];
        for (var i = 0; i < fields.Length; i++)
        {
            var start = fields[i].Start.Value;
            spans[2 * i] = start;
            spans[(2 * i) + 1] = fields[i].End.Value - start;
        }

        spans[^1] = verbatim;
        return spans;
    }
}
