using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Data;

public class DatasetTests
{
    // Chi-square critical value, 9 degrees of freedom, p = 0.001: a fair 10-sided draw exceeds it 1 time in 1000.
    private const double ChiSquare9Dof999 = 27.877;

    internal static Dataset Synthetic(int n, int h = 4, int w = 3, int seed = 1)
    {
        byte[] pixels = IdxFiles.RandomBytes(n * h * w, seed);
        int[] labels = IdxFiles.RandomBytes(n, seed + 1, 10).Select(b => (int)b).ToArray();
        return new Dataset(pixels, labels, 1, h, w, name: "synthetic");
    }

    [Fact]
    public void Gather_NormalisesLikeTorchvision()
    {
        var d = Synthetic(5);
        var x = new float[2 * d.SampleSize];
        var y = new int[2];
        d.Gather([3, 0], x, y);
        for (int i = 0; i < d.SampleSize; i++)
        {
            // ToTensor() then Normalize(mean, std), both in float32.
            Assert.Equal(((float)d.Pixels[3 * d.SampleSize + i] / 255f - 0.1307f) / 0.3081f, x[i]);
            Assert.Equal(((float)d.Pixels[i] / 255f - 0.1307f) / 0.3081f, x[d.SampleSize + i]);
        }
        Assert.Equal([d.Labels[3], d.Labels[0]], y);
    }

    [Fact]
    public void Subset_KeepsTheFirstNSamples()
    {
        var d = Synthetic(50);
        var s = d.Subset(7);
        Assert.Equal(7, s.Count);
        Assert.Equal(d.Pixels[..(7 * d.SampleSize)].ToArray(), s.Pixels.ToArray());
        Assert.Equal(d.Labels[..7].ToArray(), s.Labels.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Subset(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Subset(51));
    }

    [Fact]
    public void WithRandomLabels_IsSeededAndKeepsImages()
    {
        var d = Synthetic(500);
        var a = d.WithRandomLabels(42);
        var b = d.WithRandomLabels(42);
        var c = d.WithRandomLabels(43);
        Assert.Equal(a.Labels.ToArray(), b.Labels.ToArray());
        Assert.NotEqual(a.Labels.ToArray(), c.Labels.ToArray());
        Assert.NotEqual(d.Labels.ToArray(), a.Labels.ToArray());
        Assert.Equal(d.Pixels.ToArray(), a.Pixels.ToArray());
        // Label i depends on (seed, i) only, so subsetting and relabelling commute.
        Assert.Equal(d.Subset(40).WithRandomLabels(42).Labels.ToArray(), a.Subset(40).Labels.ToArray());
    }

    [Fact]
    public void WithRandomLabels_IsRoughlyUniform()
    {
        const int n = 20000;
        var d = new Dataset(new byte[n], new int[n], 1, 1, 1);
        var counts = new int[10];
        foreach (int label in d.WithRandomLabels(7).Labels) counts[label]++;
        double expected = n / 10.0;
        double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < ChiSquare9Dof999, $"chi-square {chi2:F1}, counts {string.Join(',', counts)}");
    }

    [Fact]
    public void Constructor_RejectsMismatchedSizesAndLabels()
    {
        Assert.Throws<ArgumentException>(() => new Dataset(new byte[11], new int[2], 1, 2, 3));
        Assert.Throws<ArgumentException>(() => new Dataset(new byte[12], [0, 10], 1, 2, 3));
    }
}
