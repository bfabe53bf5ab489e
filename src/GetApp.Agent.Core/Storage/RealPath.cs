namespace GetApp.Agent.Core.Storage;

/// <summary>
/// The path a file really has once every symbolic link on the way is followed, component by component, as the kernel
/// does (<c>realpath(3)</c>, in managed code): a link to a folder in the middle of a path counts as much as one at its
/// end, and <c>..</c> after a link goes up from where the link leads. Parts that do not exist are kept as written.
/// </summary>
public static class RealPath
{
    /// <summary>As Linux: more links than this on one path is a loop (<c>ELOOP</c>).</summary>
    private const int MaxLinks = 40;

    /// <summary>The real path of <paramref name="path"/> (made absolute first). Throws <see cref="IOException"/> on a link loop.</summary>
    public static string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Only made absolute here, not normalised: "link/.." must be resolved after the link, not cancelled before it.
        var absolute = Path.IsPathRooted(path) ? path : Path.Join(Directory.GetCurrentDirectory(), path);
        var root = Path.GetPathRoot(absolute)!;
        var links = 0;
        return Walk(root, absolute[root.Length..], ref links, path);
    }

    /// <summary>
    /// The real path of <paramref name="relative"/> below <paramref name="realFolder"/>, a folder already real (resolved
    /// by <see cref="Resolve(string)"/>): the same answer as resolving the joined path, without looking at the folder's
    /// own components again. <paramref name="links"/> counts the links followed, so a walk split in parts keeps one limit.
    /// </summary>
    public static string Resolve(string realFolder, string relative, ref int links)
    {
        ArgumentNullException.ThrowIfNull(realFolder);
        ArgumentNullException.ThrowIfNull(relative);
        return Walk(realFolder, relative, ref links, Path.Join(realFolder, relative));
    }

    private static string Walk(string current, string relative, ref int links, string path)
    {
        var pending = new Stack<string>();
        Push(pending, relative);
        while (pending.TryPop(out var part))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, part);
            if (LinkTargetOf(next) is not { } target)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new IOException($"too many levels of symbolic links in {path}");
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target)!;
                target = target[current.Length..];
            }

            Push(pending, target);
        }

        return current;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> itself or lies below it (both already real).</summary>
    public static bool IsInside(string folder, string path) =>
        path == folder || path.StartsWith(Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static void Push(Stack<string> pending, string relative)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }

    /// <summary>The immediate target of a symbolic link, or null when the path is not one (or does not exist).</summary>
    private static string? LinkTargetOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
