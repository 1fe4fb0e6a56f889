using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The direct one-input-channel convolution against its scalar twin (same bits) and, through F.Conv2d,
/// against the im2col path.</summary>
[Collection(WorkersCollection.Name)] // one test changes Workers.Count
public class DirectConvTests
{
    /// <summary>Direct and im2col forwards add the same taps in different orders: max difference relative to the largest |y|.</summary>
    private const double PathTolerance = 1e-5;
    /// <summary>Both paths share the im2col backward, but the fused ReLU masks by each path's own y (an element within
    /// rounding of 0 could pass in one and not the other; with these fixed seeds none does).</summary>
    private const double GradientTolerance = 1e-5;

    // n, h, w, cout, kh, kw, ph, pw
    public static IEnumerable<object[]> Shapes() => new int[][]
    {
        [2, 28, 28, 6, 5, 5, 2, 2],
        [3, 14, 14, 16, 5, 5, 0, 0],
        [1, 7, 9, 1, 1, 1, 0, 0],
        [2, 5, 40, 17, 3, 7, 1, 3],
        [1, 33, 17, 9, 7, 2, 0, 1],
        [4, 6, 6, 8, 6, 6, 3, 3],
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv1_SameBitsAsNaiveTwin(int n, int h, int w, int cout, int kh, int kw, int ph, int pw)
    {
        var rng = new Random(n + h * 3 + w * 5 + cout * 7 + kh * 11 + kw * 13 + ph);
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
        var x = GemmTests.Random(rng, n * h * w);
        var wt = GemmTests.Random(rng, cout * kh * kw);
        var bias = GemmTests.Random(rng, cout);
        foreach (bool relu in new[] { false, true })
            foreach (bool withBias in new[] { false, true })
            {
                var fast = Enumerable.Repeat(float.NaN, n * cout * oh * ow).ToArray();
                var naive = new float[fast.Length];
                DirectConv.Conv1(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, wt, withBias ? bias : default, fast, relu);
                DirectConvNaive.Conv1(x, n, h, w, wt, cout, kh, kw, ph, pw, withBias ? bias : default, naive, relu);
                Assert.Equal(naive, fast);
                if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) continue;
                var halves = Enumerable.Repeat(float.NaN, fast.Length).ToArray(); // AVX2's form, on AVX-512 machines too
                DirectConv.Conv1Core(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, wt, withBias ? bias : default, halves, relu, halves: true);
                Assert.Equal(naive, halves);
            }
    }

    [Fact]
    public void Conv1_SameBitsForOneAndTwoThreads()
    {
        var rng = new Random(5);
        var x = GemmTests.Random(rng, 9 * 28 * 28);
        var wt = GemmTests.Random(rng, 6 * 25);
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var y = new float[9 * 6 * 28 * 28];
            DirectConv.Conv1(Geo.Full(9, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1), x, wt, default, y, true);
            return y;
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }

    /// <summary>The direct weight gradient against its scalar twin bit for bit (with and without the ReLU mask, every
    /// run count), and against a float64 evaluation of the same sums.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void FilterGrad1_SameBitsAsNaiveTwin_AndCloseToFloat64(int n, int h, int w, int cout, int kh, int kw, int ph, int pw)
    {
        var rng = new Random(n + h * 3 + w * 5 + cout * 7 + kh * 11 + kw * 13 + ph + 1);
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1, taps = kh * kw;
        var x = GemmTests.Random(rng, n * h * w);
        var g = GemmTests.Random(rng, n * cout * oh * ow);
        var y = GemmTests.Random(rng, g.Length);
        y[0] = 0f; y[^1] = float.NaN;
        foreach (bool relu in new[] { false, true })
            for (int slots = 1; slots <= Math.Min(n, 4); slots++)
            {
                var fast = Enumerable.Repeat(float.NaN, slots * cout * taps).ToArray();
                var naive = new float[fast.Length];
                DirectConv.FilterGrad1(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, g, relu ? y : default, slots, fast);
                DirectConv.FilterGrad1Scalar(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, g, relu ? y : default, slots, naive);
                Assert.Equal(naive, fast);
                if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) // AVX2's form, on AVX-512 machines too
                {
                    var halves = Enumerable.Repeat(float.NaN, fast.Length).ToArray();
                    DirectConv.FilterGrad1Core(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, g, relu ? y : default, slots, halves, halves: true);
                    Assert.Equal(naive, halves);
                }
                var sum = new float[cout * taps];
                for (int s = 0; s < slots; s++)
                    for (int i = 0; i < sum.Length; i++) sum[i] += fast[s * sum.Length + i];
                var want = new double[cout * taps];
                for (int b = 0; b < n; b++)
                    for (int o = 0; o < cout; o++)
                        for (int i = 0; i < oh; i++)
                            for (int q = 0; q < ow; q++)
                            {
                                int at = ((b * cout + o) * oh + i) * ow + q;
                                if (relu && !(y[at] > 0f)) continue;
                                for (int t = 0; t < taps; t++)
                                {
                                    int r = i + t / kw - ph, c = q + t % kw - pw;
                                    if (r >= 0 && r < h && c >= 0 && c < w) want[o * taps + t] += (double)g[at] * x[(b * h + r) * w + c];
                                }
                            }
                Assert.True(WinogradTests.RelativeError(sum, want) <= PathTolerance, $"relu {relu}, slots {slots}");
            }
    }

    [Fact]
    public void FilterGrad1_SameBitsForOneAndTwoThreads()
    {
        var rng = new Random(6);
        var x = GemmTests.Random(rng, 9 * 28 * 28);
        var g = GemmTests.Random(rng, 9 * 6 * 28 * 28);
        var y = GemmTests.Random(rng, g.Length);
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var part = new float[4 * 6 * 25];
            DirectConv.FilterGrad1(Geo.Full(9, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1), x, g, y, 4, part);
            return part;
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Fact]
    public void FilterGrad1_RejectsBadRunsAndShortSpans()
    {
        var ex = Assert.Throws<ArgumentException>(() => DirectConv.FilterGrad1(Geo.Full(2, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1), new float[50], new float[18], default, 3, new float[27]));
        Assert.Contains("slots must be in [1, max(N, 1)], got 3 for N=2", ex.Message);
        Assert.Throws<ArgumentException>(() => DirectConv.FilterGrad1(Geo.Full(2, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1), new float[50], new float[17], default, 2, new float[18]));
    }

    [Fact]
    public void Conv1_RejectsUnsupportedSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => DirectConv.Conv1(Geo.Full(1, 1, 10, 10, 1, 8, 8, 1, 1, 0, 0, 1, 1), new float[100], new float[64], default, new float[9], false));
        Assert.Contains("kernel=8x8", ex.Message);
        Assert.Throws<ArgumentException>(() => DirectConv.Conv1(Geo.Full(1, 1, 10, 10, 1, 3, 3, 1, 1, 0, 0, 1, 1), new float[99], new float[9], default, new float[64], false));
    }

    [Theory]
    [InlineData(3, 28, 6, 5, 2)]
    [InlineData(2, 28, 32, 3, 0)]
    public void F_Conv2dRelu_DirectMatchesIm2Col(int n, int hw, int cout, int k, int pad)
    {
        float[][] Run(bool direct)
        {
            var rng = new Rng((ulong)(n * 100 + cout));
            var x = Tensor.Randn(rng, n, 1, hw, hw); x.RequiresGrad = true;
            var wt = Tensor.Randn(rng, cout, 1, k, k); wt.RequiresGrad = true;
            var b = Tensor.Randn(rng, cout); b.RequiresGrad = true;
            var opt = new Conv2dOptions((1, 1), (pad, pad), (1, 1), 1) { Algorithm = direct ? "direct-1ch" : "im2col" };
            var y = F.Conv2dRelu(x, wt, b, opt);
            F.Sum(y).Backward();
            return [y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray(), b.Grad!.ToArray()];
        }
        var direct = Run(true);
        var im2col = Run(false);
        Assert.True(WinogradTests.RelativeError(direct[0], im2col[0].Select(v => (double)v).ToArray()) <= PathTolerance, "y");
        Assert.Contains(0f, direct[0]); // the ReLU did clip
        for (int i = 1; i < 4; i++) // dW direct against im2col, dX and db the same code; the ReLU masks come from each path's own y
            Assert.True(WinogradTests.RelativeError(direct[i], im2col[i].Select(v => (double)v).ToArray()) <= GradientTolerance, $"gradient {i}");
    }
}
