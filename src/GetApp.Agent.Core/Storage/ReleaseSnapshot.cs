using System.Collections;
using System.Collections.Immutable;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Every release as of one commit, in catalog id order (the order of SQLite's <c>ORDER BY catalog_id</c>: UTF-8 bytes).
/// Immutable: a reader holding it sees one consistent state however many writes follow; a write makes the next one,
/// sharing all unchanged rows, in O(log n) per changed row.
/// </summary>
public sealed class ReleaseSnapshot : IReadOnlyCollection<ReleaseRow>
{
    public static readonly ReleaseSnapshot Empty = new(ImmutableSortedDictionary.Create<string, ReleaseRow>(Utf8Ordinal.Comparer));

    private readonly ImmutableSortedDictionary<string, ReleaseRow> _rows;

    private ReleaseSnapshot(ImmutableSortedDictionary<string, ReleaseRow> rows) => _rows = rows;

    public int Count => _rows.Count;

    public ReleaseRow? Find(string catalogId) => _rows.TryGetValue(catalogId, out var row) ? row : null;

    public IEnumerator<ReleaseRow> GetEnumerator()
    {
        foreach (var (_, row) in _rows)
        {
            yield return row;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>This snapshot with <paramref name="changes"/> applied (a null row is a deletion).</summary>
    internal ReleaseSnapshot With(IEnumerable<KeyValuePair<string, ReleaseRow?>> changes)
    {
        var builder = _rows.ToBuilder();
        foreach (var (id, row) in changes)
        {
            if (row is null)
            {
                builder.Remove(id);
            }
            else
            {
                builder[id] = row;
            }
        }

        return new ReleaseSnapshot(builder.ToImmutable());
    }

    internal static ReleaseSnapshot Of(IEnumerable<ReleaseRow> rows)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, ReleaseRow>(Utf8Ordinal.Comparer);
        foreach (var row in rows)
        {
            builder[row.CatalogId] = row;
        }

        return new ReleaseSnapshot(builder.ToImmutable());
    }
}
