using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Discovery;

/// <summary>
/// The dependency graph of a discovery answer. Edges come only as <c>dependedOnBy</c> (the releases that directly
/// depend on this one), so the children of R are every D with R in D.dependedOnBy.
/// </summary>
public static class OfferingGraph
{
    /// <summary>Direct dependencies of every release in <paramref name="releases"/>, keyed by catalog id.</summary>
    public static Dictionary<string, List<string>> DependenciesOf(IEnumerable<OfferedRelease> releases)
    {
        var list = releases as IReadOnlyList<OfferedRelease> ?? [.. releases];
        var edges = EdgesOf(list);
        var dependencies = new Dictionary<string, List<string>>(list.Count, StringComparer.Ordinal);
        foreach (var release in list)
        {
            dependencies[release.CatalogId!] = edges.TryGetValue(release.CatalogId!, out var deps) ? deps : [];
        }

        return dependencies;
    }

    /// <summary>
    /// Direct dependencies of the releases in <paramref name="releases"/> that have any, keyed by catalog id, in ordinal
    /// order: what <see cref="DependenciesOf"/> gives without an entry for each of the thousands of releases that have none.
    /// </summary>
    internal static Dictionary<string, List<string>> EdgesOf(IReadOnlyList<OfferedRelease> releases)
    {
        var dependencies = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        HashSet<string>? known = null;
        foreach (var dependency in releases)
        {
            if (dependency.DependedOnBy is not { Count: > 0 } dependents)
            {
                continue;
            }

            known ??= releases.Select(r => r.CatalogId!).ToHashSet(StringComparer.Ordinal);
            foreach (var dependent in dependents)
            {
                // An edge to a release that is not offered here is kept by the dependent's own entry, if any; skip it.
                if (!known.Contains(dependent))
                {
                    continue;
                }

                if (!dependencies.TryGetValue(dependent, out var deps))
                {
                    dependencies[dependent] = deps = [];
                }

                if (!deps.Contains(dependency.CatalogId!))
                {
                    deps.Add(dependency.CatalogId!);
                }
            }
        }

        foreach (var deps in dependencies.Values)
        {
            deps.Sort(StringComparer.Ordinal);
        }

        return dependencies;
    }

    /// <summary>
    /// Returns a cycle as "a → b → a", or null when the graph has none. A release without dependencies is never on a
    /// cycle, so the graph may leave them out (<see cref="EdgesOf"/>): the answer is the same.
    /// </summary>
    public static string? FindCycle(IReadOnlyDictionary<string, List<string>> dependencies)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<string>();

        string? Visit(string id)
        {
            state[id] = 1;
            path.Add(id);
            foreach (var next in dependencies.TryGetValue(id, out var d) ? d : [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return string.Join(" → ", path.SkipWhile(p => p != next).Append(next));
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[id] = 2;
            return null;
        }

        foreach (var id in dependencies.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(id) == 0 && Visit(id) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }
}
