using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>Tests that change or depend on <see cref="Workers.Count"/> share this collection, so xunit never runs them at once.</summary>
[CollectionDefinition(Name)]
public sealed class WorkersCollection { public const string Name = "Workers"; }

[Collection(WorkersCollection.Name)]
public class WorkersTests
{
    private const long OneOffAllocationBytes = 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(37)]
    public void Run_RunsEveryPartExactlyOnce(int parts)
    {
        var hits = new int[parts];
        Workers.Run(parts, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_ManyBackToBackJobs_RunEveryPartOnce()
    {
        // Workers race between spinning, sleeping and being dropped from a job; every part must still run once.
        var hits = new int[7];
        int saved = Workers.Count;
        Workers.Count = 3; // more threads than cores: workers get descheduled mid-protocol
        try
        {
            for (int rep = 0; rep < 5_000; rep++)
            {
                int parts = 2 + rep % 6;
                Workers.Run(parts, hits, static (h, i) => { Thread.SpinWait(100); Interlocked.Increment(ref h[i]); });
            }
        }
        finally { Workers.Count = saved; }
        int[] expected = new int[7];
        for (int rep = 0; rep < 5_000; rep++) for (int i = 0; i < 2 + rep % 6; i++) expected[i]++;
        Assert.Equal(expected, hits);
    }

    [Fact]
    public void Run_Nested_RunsInlineWithoutDeadlock()
    {
        var hits = new int[4 * 5];
        var task = Task.Run(() => Workers.Run(4, i => Workers.Run(5, j => Interlocked.Increment(ref hits[i * 5 + j]))));
        Assert.True(task.Wait(TimeSpan.FromSeconds(10)), "nested Run did not finish");
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_RethrowsAPartsException_AfterAllPartsFinish()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            Workers.Run(8, i => { if (i == 3) throw new InvalidOperationException("part 3"); }));
        Assert.Equal("part 3", ex.Message);
        // The pool still works afterwards.
        var hits = new int[8];
        Workers.Run(8, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_WithStateAndStaticLambda_AllocatesNothingOnTheCaller()
    {
        var sums = new long[16];
        for (int warm = 0; warm < 50; warm++) Workers.Run(16, sums, static (s, i) => s[i] += i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < 1000; rep++) Workers.Run(16, sums, static (s, i) => s[i] += i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // A one-off lazy allocation (an event's wait handle the first time a wait really blocks) is fine;
        // anything per call would show up as at least 1000 x 24 bytes.
        Assert.True(allocated < OneOffAllocationBytes, $"{allocated} bytes for 1000 calls");
        Assert.Equal(1050L * 5, sums[5]);
    }

    [Fact]
    public void Count_RejectsZero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Workers.Count = 0);
    }

    [Theory]
    [InlineData(6, 4, new[] { 2, 2, 1, 1 })]
    [InlineData(64, 4, new[] { 16, 16, 16, 16 })]
    [InlineData(5, 2, new[] { 3, 2 })]
    [InlineData(3, 4, new[] { 1, 1, 1, 0 })]
    [InlineData(0, 1, new[] { 0 })]
    public void Share_IsContiguousLongestFirst(int items, int parts, int[] sizes)
    {
        int next = 0;
        for (int p = 0; p < parts; p++)
        {
            var (lo, hi) = Workers.Share(items, parts, p);
            Assert.Equal(next, lo);
            Assert.Equal(sizes[p], hi - lo);
            next = hi;
        }
        Assert.Equal(items, next);
    }
}
