using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Data;

public class DataLoaderTests
{
    private static List<(float[] X, int[] Y)> Epoch(DataLoader loader, int epoch, int firstBatch = 0)
    {
        loader.Seek(epoch, firstBatch);
        var batches = new List<(float[], int[])>();
        var x = new float[loader.BatchSize * loader.Dataset.SampleSize];
        var y = new int[loader.BatchSize];
        int n;
        while ((n = loader.NextBatch(x, y)) > 0) batches.Add((x[..(n * loader.Dataset.SampleSize)], y[..n]));
        return batches;
    }

    private static void AssertSame(List<(float[] X, int[] Y)> a, List<(float[] X, int[] Y)> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].X, b[i].X);
            Assert.Equal(a[i].Y, b[i].Y);
        }
    }

    private static int[] Indices(DataLoader loader, int epoch)
    {
        var all = new List<int>();
        var buf = new int[loader.BatchSize];
        for (int b = 0; b < loader.BatchesPerEpoch; b++) all.AddRange(buf[..loader.GetBatchIndices(epoch, b, buf)]);
        return all.ToArray();
    }

    [Fact]
    public void SameSeedAndEpoch_GiveSameBatches_DifferentEpochsAndSeedsDiffer()
    {
        var d = DatasetTests.Synthetic(103);
        var a = new DataLoader(d, 10, seed: 5, randomShifts: true);
        var b = new DataLoader(d, 10, seed: 5, randomShifts: true);
        Epoch(a, 2); // a's history must not matter
        AssertSame(Epoch(a, 3), Epoch(b, 3));
        Assert.NotEqual(Indices(a, 3), Indices(a, 4));
        Assert.NotEqual(Indices(a, 3), Indices(new DataLoader(d, 10, seed: 6), 3));
    }

    [Fact]
    public void EveryEpoch_VisitsEverySampleOnce_WithAPartialLastBatch()
    {
        var d = DatasetTests.Synthetic(103);
        var loader = new DataLoader(d, 10, seed: 1);
        Assert.Equal(11, loader.BatchesPerEpoch);
        Assert.Equal(3, loader.BatchLength(10));
        for (int e = 0; e < 3; e++)
        {
            int[] order = Indices(loader, e);
            Assert.Equal(Enumerable.Range(0, 103), order.Order());
            Assert.NotEqual(Enumerable.Range(0, 103), order);
        }
        var batches = Epoch(loader, 0);
        Assert.Equal(11, batches.Count);
        Assert.Equal(3, batches[^1].Y.Length);
    }

    [Fact]
    public void Batches_HoldTheIndexedSamples()
    {
        var d = DatasetTests.Synthetic(25);
        var loader = new DataLoader(d, 4, seed: 9);
        var x = new float[4 * d.SampleSize];
        var y = new int[4];
        var idx = new int[4];
        var one = new float[d.SampleSize];
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            int n = loader.GetBatch(1, b, x, y);
            loader.GetBatchIndices(1, b, idx);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(d.CopySample(idx[i], one), y[i]);
                Assert.Equal(one, x[(i * d.SampleSize)..((i + 1) * d.SampleSize)]);
            }
        }
    }

    [Fact]
    public void DropLast_SkipsThePartialBatch()
    {
        var loader = new DataLoader(DatasetTests.Synthetic(103), 10, dropLast: true);
        Assert.Equal(10, loader.BatchesPerEpoch);
        Assert.All(Epoch(loader, 0), b => Assert.Equal(10, b.Y.Length));
    }

    [Fact]
    public void WithoutShuffle_BatchesAreInOrder()
    {
        var loader = new DataLoader(DatasetTests.Synthetic(23), 5, shuffle: false);
        Assert.Equal(Enumerable.Range(0, 23), Indices(loader, 0));
        Assert.Equal(Enumerable.Range(0, 23), Indices(loader, 7));
    }

    [Fact]
    public void Seek_ResumesMidEpoch_WithTheSameBatches()
    {
        var d = DatasetTests.Synthetic(64);
        var uninterrupted = new DataLoader(d, 6, seed: 77, randomShifts: true);
        var full = Epoch(uninterrupted, 4);
        var resumed = new DataLoader(d, 6, seed: 77, randomShifts: true);
        var tail = Epoch(resumed, 4, firstBatch: 7);
        AssertSame(full[7..], tail);
        Assert.Equal(4, resumed.Epoch);
        Assert.Equal(resumed.BatchesPerEpoch, resumed.BatchIndex);
    }

    [Fact]
    public void NextBatch_AllocatesNothing()
    {
        var d = DatasetTests.Synthetic(200, 8, 8);
        var loader = new DataLoader(d, 16, seed: 3, randomShifts: true);
        var x = new float[16 * d.SampleSize];
        var y = new int[16];
        loader.Seek(0);
        loader.NextBatch(x, y); // warm up (JIT, first permutation)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int e = 1; e < 3; e++)
        {
            loader.Seek(e);
            while (loader.NextBatch(x, y) > 0) { }
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ShiftInPlace_MovesPixelsAndFillsBorders()
    {
        const int h = 5, w = 6, c = 2;
        var src = Enumerable.Range(1, c * h * w).Select(v => (float)v).ToArray();
        for (int dy = -2; dy <= 2; dy++)
            for (int dx = -2; dx <= 2; dx++)
            {
                var img = (float[])src.Clone();
                DataLoader.ShiftInPlace(img, c, h, w, dy, dx, -1f);
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++)
                        {
                            int sy = y - dy, sx = x - dx;
                            float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(ch * h + sy) * w + sx] : -1f;
                            Assert.Equal(expected, img[(ch * h + y) * w + x]);
                        }
            }
    }

    [Fact]
    public void RandomShifts_ApplyTheDrawnShift_WithBackgroundFill()
    {
        // One bright pixel in the middle of each image: after the shift it sits at (2 + dy, 2 + dx).
        const int n = 300, side = 5;
        var pixels = new byte[n * side * side];
        for (int i = 0; i < n; i++) pixels[i * side * side + 2 * side + 2] = 255;
        var d = new Dataset(pixels, new int[n], 1, side, side);
        var loader = new DataLoader(d, 50, seed: 11, randomShifts: true);
        var x = new float[50 * side * side];
        var y = new int[50];
        var idx = new int[50];
        var seen = new HashSet<(int, int)>();
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            loader.GetBatch(2, b, x, y);
            loader.GetBatchIndices(2, b, idx);
            for (int i = 0; i < 50; i++)
            {
                var (dy, dx) = loader.GetShift(2, idx[i]);
                seen.Add((dy, dx));
                for (int p = 0; p < side * side; p++)
                {
                    bool bright = p == (2 + dy) * side + (2 + dx);
                    Assert.Equal(d.Normalize(bright ? (byte)255 : (byte)0), x[i * side * side + p]);
                }
            }
        }
        Assert.Equal(25, seen.Count); // every shift in [-2, 2]^2 occurs
    }
}
