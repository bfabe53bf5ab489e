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
        var list = releases.ToList();
        var known = list.Select(r => r.CatalogId!).ToHashSet(StringComparer.Ordinal);
        var dependencies = known.ToDictionary(id => id, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var dependency in list)
        {
            foreach (var dependent in dependency.DependedOnBy ?? [])
            {
                // An edge to a release that is not offered here is kept by the dependent's own entry, if any; skip it.
                if (known.Contains(dependent) && !dependencies[dependent].Contains(dependency.CatalogId!))
                {
                    dependencies[dependent].Add(dependency.CatalogId!);
                }
            }
        }

        foreach (var deps in dependencies.Values)
        {
            deps.Sort(StringComparer.Ordinal);
        }

        return dependencies;
    }

    /// <summary>Returns a cycle as "a → b → a", or null when the graph has none.</summary>
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
