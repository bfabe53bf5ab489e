using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public sealed class DownloadBuffersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RentAsync_AllOut_WaitsUntilHalfAreBack_AndNeverMakesMore()
    {
        var buffers = new DownloadBuffers(AlignedBuffer.Alignment, count: 4);
        var rented = new List<AlignedBuffer>();
        for (var i = 0; i < 4; i++)
        {
            rented.Add(await buffers.RentAsync());
        }

        var fifth = buffers.RentAsync().AsTask();
        rented[0].Release();
        await Task.Delay(100);
        Assert.False(fifth.IsCompleted); // one back: the reader is not woken for each buffer

        rented[1].Release();
        var next = await fifth.WaitAsync(Patience);
        Assert.Contains(next, rented[..2]);
        Assert.Equal(4, buffers.Made);
        Assert.Equal(2, buffers.WakeAt);
    }

    [Fact]
    public async Task Release_SharedBuffer_ComesBackAfterTheLastHolder()
    {
        var buffers = new DownloadBuffers(AlignedBuffer.Alignment, count: 2);
        var first = await buffers.RentAsync();
        var second = await buffers.RentAsync();
        first.Share(2);
        var third = buffers.RentAsync().AsTask();

        first.Release();
        await Task.Delay(100);
        Assert.False(third.IsCompleted); // the hasher still reads it

        first.Release();
        Assert.Same(first, await third.WaitAsync(Patience));
        second.Release();
        Assert.Equal(2, buffers.Made);
    }
}
