using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public class FreeSpaceCheckTests
{
    private static FreeSpaceCheck.Release R(double? declared, long onDisk, params long?[] sizes) => new(declared, sizes, onDisk);

    [Fact]
    public void Needed_IsTheLargerOfDeclaredAndArtifacts_MinusWhatIsOnDisk()
    {
        Assert.Equal(150, FreeSpaceCheck.Needed([R(null, 50, 100, 100)]));
        Assert.Equal(500, FreeSpaceCheck.Needed([R(500, 0, 100)]));
        Assert.Equal(200, FreeSpaceCheck.Needed([R(10, 0, 100, 100)]));
        Assert.Equal(0, FreeSpaceCheck.Needed([R(null, 500, 100)]));
        Assert.Equal(100, FreeSpaceCheck.Needed([R(-5, 0, 100, -7, null), R(double.NaN, 0)]));
    }

    [Theory]
    [InlineData(long.MaxValue, 1L)]
    [InlineData(6_000_000_000_000_000_000L, 6_000_000_000_000_000_000L)]
    public void Needed_SizesThatOverflowWhenAdded_IsNull(long a, long b)
    {
        Assert.Null(FreeSpaceCheck.Needed([R(null, 0, a, b)]));
        Assert.Null(FreeSpaceCheck.Needed([R(null, 0, a), R(null, 0, b)]));
        Assert.Null(FreeSpaceCheck.Needed([R(a, 0), R(b, 0)]));
    }

    [Fact]
    public void Needed_DeclaredTotalBeyondALong_IsNull() => Assert.Null(FreeSpaceCheck.Needed([R(1e19, 0, 1)]));

    [Fact]
    public void Problem_NeededPlusBufferOverflows_IsRefusedNotPassed()
    {
        Assert.Contains("not enough free space", FreeSpaceCheck.Problem(long.MaxValue - 10, 100, long.MaxValue, "/d"));
        Assert.Contains("not enough free space", FreeSpaceCheck.Problem(null, 0, long.MaxValue, "/d"));
        Assert.Null(FreeSpaceCheck.Problem(100, 100, 200, "/d"));
        Assert.Equal("not enough free space in /d: 201 bytes required (101 for the artifacts + 100 deliveryStorageBufferBytes), 200 available",
            FreeSpaceCheck.Problem(101, 100, 200, "/d"));
    }
}
