using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Hosting;

/// <summary>
/// The layout of the data dir, and its lock: only one agent may own a data dir at a time, since two would
/// overwrite each other's downloads and states.
/// </summary>
public sealed class DataDirectory : IDisposable
{
    private FileStream? _lock;

    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Delivered artifacts: <c>comps/&lt;catalog id made file-safe&gt;/</c>.</summary>
    public string CompsDir => Path.Combine(Root, "comps");

    /// <summary>Partial downloads, kept across restarts so that they resume.</summary>
    public string PartialDir => Path.Combine(Root, "partial");

    public string LogsDir => Path.Combine(Root, "logs");

    /// <summary>The artifacts folder of one release (always inside <see cref="CompsDir"/>, whatever the id holds).</summary>
    public string ArtifactsDirOf(string catalogId) => Path.Combine(CompsDir, FileSafeName.From(catalogId));

    /// <summary>Creates the folders, proves they can be written, and takes the lock. Throws <see cref="StoreException"/> with the reason.</summary>
    public void Open()
    {
        try
        {
            Directory.CreateDirectory(Root);
            Directory.CreateDirectory(CompsDir);
            Directory.CreateDirectory(PartialDir);
            Directory.CreateDirectory(LogsDir);
            var probe = Path.Combine(Root, $".write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"The data dir {Root} cannot be written: {e.Message}", e);
        }

        try
        {
            _lock = new FileStream(Path.Combine(Root, "agent.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new StoreException($"The data dir {Root} is in use by another agent (agent.lock is held); give each agent its own --data-dir.", e);
        }
    }

    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }
}
