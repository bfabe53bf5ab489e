namespace GetApp.Agent.Chaos.Harness;

/// <summary>
/// Installer scripts of the chaos catalogs. Each run appends its pid to <c>$GETAPP_CHAOS_MARKS/&lt;id&gt;.&lt;what&gt;.pids</c>
/// first, after noting in <c>overlaps</c> any earlier run of the same script that is still alive (two runs at once),
/// then works for about 2.5 s, then notes that it finished.
/// </summary>
public static class Scripts
{
    public static string Slow(string what, int tenths = 25) => $$"""
        m="$GETAPP_CHAOS_MARKS"; n="$GETAPP_CATALOG_ID.{{what}}"
        for p in $(cat "$m/$n.pids" 2>/dev/null); do
          if kill -0 "$p" 2>/dev/null && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q '/{{what}}.sh'; then
            echo "$n: pid $p still running when pid $$ started" >> "$m/overlaps"
          fi
        done
        echo $$ >> "$m/$n.pids"
        i=0
        while [ $i -lt {{tenths}} ]; do sleep 0.1; i=$((i+1)); done
        echo "$$" >> "$m/$n.done"
        """;

    /// <summary>Finishes at once (records its run).</summary>
    public static string Quick(string what) => Slow(what, 0);
}
