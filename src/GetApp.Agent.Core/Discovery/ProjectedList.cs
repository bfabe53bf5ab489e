using System.Collections;

namespace GetApp.Agent.Core.Discovery;

/// <summary>
/// A read-only list whose items are made from the source's when read, and not kept: an answer of thousands of releases
/// is written out once, one release at a time, rather than built whole first.
/// </summary>
internal sealed class ProjectedList<TSource, T>(IReadOnlyList<TSource> source, Func<TSource, T> project) : IReadOnlyList<T>
{
    public int Count => source.Count;

    public T this[int index] => project(source[index]);

    public IEnumerator<T> GetEnumerator()
    {
        foreach (var item in source)
        {
            yield return project(item);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
