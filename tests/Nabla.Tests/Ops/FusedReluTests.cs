using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>The fused ops (<see cref="F.Conv2dRelu"/>, <see cref="F.LinearRelu"/>) and <see cref="Sequential"/>'s use of
/// them compute exactly what the op followed by a separate ReLU computes, forward and backward.</summary>
[Collection("Workers")] // one test changes Workers.Count
public class FusedReluTests
{
    /// <summary>Output, input gradient, then every parameter gradient, for a loss Σ y·r with a fixed random r.</summary>
    private static float[] Outputs(Func<Tensor, Tensor> f, Tensor x, Tensor[] parameters, int seed)
    {
        x.Grad = null;
        foreach (var p in parameters) p.Grad = null;
        var y = f(x);
        var r = Tensor.Randn(new Rng((ulong)seed), y.Shape);
        F.Sum(F.Mul(y, r)).Backward();
        var all = new List<float>(y.ToArray());
        if (x.RequiresGrad) all.AddRange(x.Grad!.ToArray());
        foreach (var p in parameters) all.AddRange(p.Grad!.ToArray());
        Assert.Contains(all, v => v == 0f); // the ReLU really cut something
        return [.. all];
    }

    // n, cin, h, w, cout, k, stride, padding, groups, bias, xGrad
    public static IEnumerable<object[]> ConvCases() => new object[][]
    {
        [5, 1, 28, 28, 6, 5, 1, 2, 1, true, false],
        [3, 6, 14, 14, 16, 5, 1, 0, 1, true, true],
        [4, 4, 9, 7, 6, 3, 2, 1, 2, false, true],
        [2, 3, 5, 6, 4, 1, 1, 0, 1, true, true],
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2dRelu_SameNumbersAsConv2dThenRelu(int n, int cin, int h, int w, int cout, int k, int stride, int padding, int groups, bool bias, bool xGrad)
    {
        var rng = new Rng(7);
        var x = Tensor.Randn(rng, n, cin, h, w); x.RequiresGrad = xGrad;
        var wt = Tensor.Randn(rng, cout, cin / groups, k, k); wt.RequiresGrad = true;
        var b = bias ? Tensor.Randn(rng, cout) : null;
        if (b is not null) b.RequiresGrad = true;
        var opt = new Conv2dOptions((stride, stride), (padding, padding), (1, 1), groups);
        Tensor[] ps = b is null ? [wt] : [wt, b];
        var fused = Outputs(t => F.Conv2dRelu(t, wt, b, opt), x, ps, 3);
        var separate = Outputs(t => F.Relu(F.Conv2d(t, wt, b, opt)), x, ps, 3);
        Assert.Equal(separate, fused);
    }

    [Theory]
    [InlineData(new[] { 64, 400 }, 120, true)]
    [InlineData(new[] { 3, 5, 17 }, 33, true)]
    [InlineData(new[] { 7, 9 }, 1, false)]
    public void LinearRelu_SameNumbersAsLinearThenRelu(int[] xShape, int outF, bool bias)
    {
        var rng = new Rng(9);
        var x = Tensor.Randn(rng, xShape); x.RequiresGrad = true;
        var wt = Tensor.Randn(rng, outF, xShape[^1]); wt.RequiresGrad = true;
        var b = bias ? Tensor.Randn(rng, outF) : null;
        if (b is not null) b.RequiresGrad = true;
        Tensor[] ps = b is null ? [wt] : [wt, b];
        var fused = Outputs(t => F.LinearRelu(t, wt, b), x, ps, 4);
        var separate = Outputs(t => F.Relu(F.Linear(t, wt, b)), x, ps, 4);
        Assert.Equal(separate, fused);
    }

    [Fact]
    public void Sequential_FusesLayerAndRelu_SameNumbersAsLayerByLayer()
    {
        var model = new Sequential(
            new Conv2d(1, 4, (5, 5), padding: (2, 2), rng: new Rng(1)), new ReLU(), new MaxPool2d((2, 2)),
            new Conv2d(4, 6, (3, 3), rng: new Rng(2)), new ReLU(),
            new Flatten(), new Linear(6 * 5 * 5, 12, rng: new Rng(3)), new ReLU(), new Linear(12, 3, rng: new Rng(4)));
        var x = Tensor.Randn(new Rng(5), 6, 1, 14, 14);
        var ps = model.Parameters().ToArray();
        var fused = Outputs(model.Forward, x, ps, 6);
        var separate = Outputs(t => model.Layers.Aggregate(t, (acc, l) => l.Forward(acc)), x, ps, 6);
        Assert.Equal(separate, fused);

        var y = new Sequential(new Linear(3, 2, rng: new Rng(8)), new ReLU()).Forward(x.Reshape(6 * 14 * 14 / 3, 3));
        Assert.Equal("linear_relu", y.GradFn!.Name); // the fused op really ran
    }

    [Fact]
    public void Conv2dRelu_SameBitsForOneAndTwoThreads()
    {
        float[] RunWith(int threads)
        {
            return WithThreads.Run<float[]>(threads, () =>
            {
                var rng = new Rng(5);
                var x = Tensor.Randn(rng, 37, 3, 13, 11); x.RequiresGrad = true;
                var w = Tensor.Randn(rng, 8, 3, 5, 5); w.RequiresGrad = true;
                var b = Tensor.Randn(rng, 8); b.RequiresGrad = true;
                return Outputs(t => F.Conv2dRelu(t, w, b, new Conv2dOptions((1, 1), (2, 2), (1, 1), 1)), x, [w, b], 8);
            });
        }
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(1001)]
    public void ReluMask_MatchesNaive(int n)
    {
        var rng = new Random(n);
        var y = Nabla.Tests.Kernels.GemmTests.Random(rng, n);
        var g = Nabla.Tests.Kernels.GemmTests.Random(rng, n);
        if (n > 3) { y[1] = 0f; y[2] = float.NaN; g[3] = float.NaN; y[3] = 1f; }
        var d = Nabla.Tests.Kernels.GemmTests.Random(rng, n);
        var dn = Nabla.Tests.Kernels.GemmTests.Random(rng, n);
        Activation.ReluMask(y, g, d);
        ActivationNaive.ReluMask(y, g, dn);
        Assert.Equal(dn, d);
    }

    /// <summary>Rows of a strided layout, each as <see cref="ActivationNaive.ReluMask"/>; the gaps between the
    /// destination rows are left alone (tails of 0, 4 and 15 lanes; the NaN and zero cases in a tail).</summary>
    [Theory]
    [InlineData(3, 100, 100, 1600)]
    [InlineData(16, 100, 103, 170)]
    [InlineData(2, 17, 20, 17)]
    [InlineData(1, 16, 16, 16)]
    [InlineData(0, 5, 5, 5)]
    public void ReluMaskRows_MatchesNaivePerRow(int rows, int n, int srcStride, int dstStride)
    {
        var rng = new Random(rows * 1000 + n);
        int src = rows * srcStride, dst = rows * dstStride;
        var y = Nabla.Tests.Kernels.GemmTests.Random(rng, src);
        var g = Nabla.Tests.Kernels.GemmTests.Random(rng, src);
        if (rows > 0) { y[n - 1] = float.NaN; y[n - 2] = 0f; g[n - 3] = float.NaN; y[n - 3] = 2f; }
        var d = Nabla.Tests.Kernels.GemmTests.Random(rng, dst);
        var want = (float[])d.Clone();
        for (int r = 0; r < rows; r++)
            ActivationNaive.ReluMask(y.AsSpan(r * srcStride, n), g.AsSpan(r * srcStride, n), want.AsSpan(r * dstStride, n));
        Activation.ReluMaskRows(y, g, rows, n, srcStride, d, dstStride);
        Assert.Equal(want, d);
    }

    /// <summary>Bias and ReLU on strided rows against TensorPrimitives row by row, bit for bit (NaN, −0 and a sum that
    /// rounds to −0 included); the gaps between destination rows are left alone.</summary>
    [Theory]
    [InlineData(16, 100, 1600, 100, true, true)]
    [InlineData(6, 784, 2352, 784, true, false)]
    [InlineData(3, 17, 20, 19, false, true)]
    [InlineData(2, 5, 5, 9, false, false)]
    [InlineData(1, 16, 16, 16, true, true)]
    public void BiasReluRows_MatchesNaivePerRow(int rows, int n, int srcStride, int dstStride, bool withBias, bool relu)
    {
        var rng = new Random(rows * 1000 + n);
        var src = Nabla.Tests.Kernels.GemmTests.Random(rng, rows * srcStride);
        src[0] = float.NaN; src[1] = -0f; src[2] = -1e-30f; src[n - 1] = float.NegativeInfinity;
        var bias = withBias ? Nabla.Tests.Kernels.GemmTests.Random(rng, rows) : [];
        if (withBias) src[3] = -bias[0];
        var d = Nabla.Tests.Kernels.GemmTests.Random(rng, rows * dstStride);
        var want = (float[])d.Clone();
        for (int r = 0; r < rows; r++)
            Activation.BiasReluRowScalar(src.AsSpan(r * srcStride, n), withBias ? bias[r] : null, relu, want.AsSpan(r * dstStride, n));
        Activation.BiasReluRows(src, srcStride, rows, n, bias, relu, d, dstStride);
        Assert.Equal(want.Select(BitConverter.SingleToInt32Bits), d.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ReluMaskRows_ShortSpan_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Activation.ReluMaskRows(new float[10], new float[10], 2, 5, 6, new float[10], 5));
        Assert.Contains("spans too short", ex.Message);
    }

    /// <summary>Both sums are exact term by term in double; only the order of the additions differs.</summary>
    private const double SumRelativeTolerance = 1e-13;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(2352)]
    [InlineData(10_007)]
    public void SumAsDouble_MatchesNaive(int n)
    {
        var x = Nabla.Tests.Kernels.GemmTests.Random(new Random(n + 5), n);
        for (int i = 0; i < n; i += 3) x[i] *= 1e4f;
        double fast = Sums.SumAsDouble(x), naive = SumsNaive.SumAsDouble(x);
        double scale = x.Sum(v => Math.Abs((double)v));
        Assert.True(Math.Abs(fast - naive) <= SumRelativeTolerance * scale, $"{fast} vs {naive}");
        if (n == 1) Assert.Equal((double)x[0], fast);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(576)]
    [InlineData(10_007)]
    public void ReluMaskedSumAsDouble_SameBitsAsMaskThenSum(int n)
    {
        var rng = new Random(n + 9);
        var g = Nabla.Tests.Kernels.GemmTests.Random(rng, n);
        var y = Nabla.Tests.Kernels.GemmTests.Random(rng, n); // about half positive
        if (n > 2) { y[1] = float.NaN; g[2] = float.NaN; y[2] = -1f; } // NaN output: no gradient; NaN gradient masked off
        var masked = new float[n];
        Activation.ReluMask(y, g, masked);
        Assert.Equal(Sums.SumAsDouble(masked), Sums.ReluMaskedSumAsDouble(y, g));
        Assert.Throws<ArgumentException>(() => Sums.ReluMaskedSumAsDouble(y, g.AsSpan(1)));
    }
}
