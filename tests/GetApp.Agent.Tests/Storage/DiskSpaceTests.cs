using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Tests.Storage;

public sealed class DiskSpaceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("disk-space").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<Exception, bool> Exceptions => new()
    {
        { new SqliteException("database or disk is full", 13), true },
        { new IOException("No space left on device", 28), true },
        { new DeliveryException("cannot write the partial file", retriable: false, new IOException("No space left on device", 28)), true },
        { new AggregateException(new InvalidOperationException(), new IOException("full", 28)), true },
        { new SqliteException("database is locked", 5), false },
        { new IOException("Permission denied", 13), false },
        { new NotEnoughSpaceException("not enough free space for the 5 bytes still to download"), false },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void IsDiskFull_RecognisesEnospcAndSqliteFull_AnywhereInside(Exception exception, bool expected) =>
        Assert.Equal(expected, DiskSpace.IsDiskFull(exception));

    [Fact]
    public void CheckThenExhausted_ReserveMadeThenGivenBackInTwoHalves_ReportedOnce()
    {
        var space = new DiskSpace(_dir);
        var changes = new List<bool>();
        space.Changed += changes.Add;

        space.Check();
        Assert.Equal(DiskSpace.ReserveBytes, new FileInfo(space.ReservePath).Length);
        Assert.False(space.IsFull);

        // Half first: whatever filled the disk may take that room too, and the next write must still find some.
        Assert.True(space.Exhausted());
        Assert.Equal(DiskSpace.ReserveBytes / 2, new FileInfo(space.ReservePath).Length);
        Assert.True(space.Exhausted());
        Assert.False(space.Exhausted());
        Assert.True(space.IsFull);
        Assert.False(File.Exists(space.ReservePath));

        // This disk has room: the next look makes the reserve again and leaves the full state.
        space.Check();
        Assert.False(space.IsFull);
        Assert.True(File.Exists(space.ReservePath));
        Assert.Equal([true, false], changes);
    }
}
