using Nabla.Analysis;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Analysis;

public class ReceptiveFieldTests
{
    private const int RandomStacks = 300;

    [Theory]
    [InlineData(4, -6, 16, 1, "4i-9 : 4i+6")]
    [InlineData(4, -6, 16, 0, "4i-6 : 4i+10")]
    [InlineData(1, 0, 1, 0, "i : i+1")]
    [InlineData(1, 0, 1, 1, "i : i")]
    [InlineData(2, -2, 6, 1, "2i-3 : 2i+2")]
    public void Range_FormatsAffineBounds(long stride, long start, long size, int indexBase, string expected) =>
        Assert.Equal(expected, new ReceptiveFieldAxis(size, stride, start).Range('i', indexBase));

    /// <summary>
    /// Random plain stacks of windows (conv, max/avg pool; kernel, stride, padding, dilation): the reported
    /// field must equal, for every output position, the min..max of the virtual input coordinates found by
    /// enumerating every tap of every layer backwards (an independent computation).
    /// </summary>
    [Fact]
    public void RandomStacks_MatchTapEnumeration()
    {
        var rng = new Random(1234);
        int checkedStacks = 0;
        for (int trial = 0; trial < RandomStacks; trial++)
        {
            var windows = new List<(int K, int S, int P, int D)>();
            var lines = new List<string> { "input 1 40 33" };
            int depth = rng.Next(1, 6);
            for (int l = 0; l < depth; l++)
            {
                int k = rng.Next(1, 5), s = rng.Next(1, 4), d = rng.Next(1, 3);
                int kind = rng.Next(3);
                if (kind == 2) d = 1;
                int p = rng.Next(0, ((k - 1) * d + 1) / 2 + 1);
                if (kind == 2) p = Math.Min(p, k / 2);
                windows.Add((k, s, p, d));
                lines.Add(kind switch
                {
                    0 => $"conv2d out_channels=2 kernel_size={k} stride={s} padding={p} dilation={d}",
                    1 => $"maxpool2d kernel_size={k} stride={s} padding={p} dilation={d}",
                    _ => $"avgpool2d kernel_size={k} stride={s} padding={p}",
                });
            }
            ModelSummary summary;
            try { summary = ModelAnalyzer.Analyze(SpecParser.Parse(string.Join("\n", lines))); }
            catch (NablaInputException) { continue; } // the stack shrank the image below one pixel
            checkedStacks++;
            var last = summary.Layers[^1];
            var rf = last.ReceptiveField!;
            for (int i = 0; i < last.OutputShape[1]; i++)
            {
                var (lo, hi) = Enumerate(windows, windows.Count - 1, i);
                Assert.Equal(lo, rf.H.Start + i * rf.H.Stride);
                Assert.Equal(hi, rf.H.Start + i * rf.H.Stride + rf.H.Size - 1);
            }
            Assert.Equal(rf.H, rf.W);
        }
        Assert.True(checkedStacks > RandomStacks / 2, $"only {checkedStacks} stacks were valid");
    }

    private static (long Lo, long Hi) Enumerate(List<(int K, int S, int P, int D)> w, int layer, long x)
    {
        if (layer < 0) return (x, x);
        long lo = long.MaxValue, hi = long.MinValue;
        var (k, s, p, d) = w[layer];
        for (int t = 0; t < k; t++)
        {
            var (a, b) = Enumerate(w, layer - 1, x * s - p + (long)t * d);
            lo = Math.Min(lo, a);
            hi = Math.Max(hi, b);
        }
        return (lo, hi);
    }

    [Fact]
    public void Resnet18_GlobalPoolSeesWholeImage()
    {
        var s = ModelAnalyzer.Analyze(Zoo.Load("resnet18"));
        var gap = s.Layers.Single(r => r.Type == "adaptiveavgpool2d");
        Assert.Equal([512, 1, 1], gap.OutputShape);
        Assert.True(gap.ReceptiveField!.H.Start <= 0 && gap.ReceptiveField.H.Start + gap.ReceptiveField.H.Size >= 224);
        Assert.Null(s.Layers[^1].ReceptiveField);
    }
}
