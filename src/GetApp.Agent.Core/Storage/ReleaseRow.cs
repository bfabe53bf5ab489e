using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// One committed row of <c>releases</c> (with its dependency edges), as the read model holds it: the columns, the
/// upstream's JSON kept as the UTF-8 the row stores, and the API's answers for it rendered once, on first read. A row
/// never changes; a write replaces it.
/// </summary>
public sealed class ReleaseRow
{
    private readonly byte[] _releaseJson;
    private readonly byte[] _artifactsJson;
    private readonly byte[]? _hierarchyJson;
    private readonly ArtsFolder _artsDirPath;
    private ReleaseView? _view;
    private int _statusLength;
    private int[]? _layout;

    /// <summary>A row as the table holds it (text as SQLite gives it back, edges in catalog id order): nothing to convert.</summary>
    internal ReleaseRow(string catalogId, byte[] releaseJson, byte[] artifactsJson, byte[]? hierarchyJson, ReleasePosition position,
        bool isPush, bool offered, IReadOnlyList<string> dependencies, double? progress, long? eta, string? errMsg, int? downloadDuration,
        ArtsFolder artsDirPath, DateTimeOffset discoveredAt, DateTimeOffset updatedAt)
    {
        CatalogId = catalogId;
        Position = position;
        IsPush = isPush;
        Offered = offered;
        Dependencies = dependencies;
        Progress = progress;
        Eta = eta;
        ErrMsg = errMsg;
        DownloadDuration = downloadDuration;
        _artsDirPath = artsDirPath;
        DiscoveredAt = discoveredAt;
        UpdatedAt = updatedAt;
        _releaseJson = releaseJson;
        _artifactsJson = artifactsJson;
        _hierarchyJson = hierarchyJson;
    }

    internal ReleaseRow(ReleaseRecord record)
    {
        CatalogId = record.CatalogId;
        Position = record.Position;
        IsPush = record.IsPush;
        Offered = record.Offered;
        // As the table gives them back: each edge once, in catalog id order.
        Dependencies = record.Dependencies.Count == 0 ? [] : [.. record.Dependencies.Select(id => AsStored(id)).Distinct(StringComparer.Ordinal).Order(Utf8Ordinal.Comparer)];
        Progress = record.Progress;
        Eta = record.Eta;
        ErrMsg = AsStored(record.ErrMsg);
        DownloadDuration = record.DownloadDuration;
        _artsDirPath = ArtsFolder.Of(AsStored(record.ArtsDirPath), CatalogId);
        DiscoveredAt = record.DiscoveredAt;
        UpdatedAt = record.UpdatedAt;
        _releaseJson = record.ReleaseJson;
        _artifactsJson = record.ArtifactsJson;
        _hierarchyJson = record.HierarchyJson;
    }

    public string CatalogId { get; }
    public ReleasePosition Position { get; }
    public ReleaseState State => Position.State;
    public bool IsPush { get; }
    public bool Offered { get; }
    public IReadOnlyList<string> Dependencies { get; }
    public double? Progress { get; }
    public long? Eta { get; }
    public string? ErrMsg { get; }
    public int? DownloadDuration { get; }
    public string? ArtsDirPath => _artsDirPath.PathOf(CatalogId);
    public DateTimeOffset DiscoveredAt { get; }
    public DateTimeOffset UpdatedAt { get; }

    internal byte[] ReleaseJson => _releaseJson;
    internal byte[] ArtifactsJson => _artifactsJson;
    internal byte[]? HierarchyJson => _hierarchyJson;

    /// <summary>Delivery or later: a release of the device, shown by the status routes (offers are not).</summary>
    public bool IsOnDevice => State is not (ReleaseState.Offering or ReleaseState.Push);

    /// <summary>A record of its own for the caller; its JSON is parsed only if the caller reads it.</summary>
    public ReleaseRecord ToRecord() => new(CatalogId, _releaseJson, _artifactsJson, _hierarchyJson, Position, DiscoveredAt, UpdatedAt)
    {
        IsPush = IsPush,
        Offered = Offered,
        Dependencies = Dependencies,
        Progress = Progress,
        Eta = Eta,
        ErrMsg = ErrMsg,
        DownloadDuration = DownloadDuration,
        ArtsDirPath = ArtsDirPath,
    };

    /// <summary>
    /// The body of <c>GET /api/v2/device/releases/{id}</c> for a release on the device, byte for byte what serialising
    /// <see cref="ReleaseStatusMapper.ToStatusDto"/> gives; <paramref name="live"/> progress shows while something runs.
    /// </summary>
    public ReadOnlyMemory<byte> StatusJson(LiveProgress? live) => View.Status(Position, live);

    /// <summary>
    /// The status as rendered for <see cref="StatusJson"/>, when someone asked for it (the single status keeps it); null
    /// otherwise: the list writes the others with <see cref="ReleaseStatusWriter"/> and keeps no copy.
    /// </summary>
    internal ReadOnlyMemory<byte>? RenderedStatus(LiveProgress? live) =>
        _view is { } view ? view.Status(Position, live) : (ReadOnlyMemory<byte>?)null; // not `null`: that is an empty array

    /// <summary>
    /// The status's length without live progress, once <see cref="ReleaseStatusWriter.Length"/> measured it (0 before):
    /// the list's Content-Length comes before its body, and a row never changes, so it is measured once, not per list.
    /// </summary>
    internal int StatusLength
    {
        get => Volatile.Read(ref _statusLength);
        set => Volatile.Write(ref _statusLength, value);
    }

    /// <summary>Where the status's fields lie in the release JSON, once <see cref="ReleaseStatusWriter.LayoutOf"/> found it (null before).</summary>
    internal int[]? Layout
    {
        get => Volatile.Read(ref _layout);
        set => Volatile.Write(ref _layout, value);
    }

    /// <summary>True when <paramref name="other"/> stores the same offer: the same upstream JSON, push flag, state and edges.</summary>
    internal bool SameOfferAs(ReleaseRow other) =>
        Position == other.Position && IsPush == other.IsPush && Offered == other.Offered
        && _releaseJson.AsSpan().SequenceEqual(other._releaseJson) && _artifactsJson.AsSpan().SequenceEqual(other._artifactsJson)
        && _hierarchyJson.AsSpan().SequenceEqual(other._hierarchyJson) && Dependencies.SequenceEqual(other.Dependencies, StringComparer.Ordinal);

    // SQLite keeps TEXT as UTF-8, where a lone surrogate cannot live: it comes back as U+FFFD, so it is held that way too.
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? AsStored(string? text) =>
        text is not null && text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 ? System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(text)) : text;

    // Rendered on first read (two readers may both render it; they get the same bytes).
    private ReleaseView View => _view ??= ReleaseView.Render(ToRecord());
}
