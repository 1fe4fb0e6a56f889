using Nabla.Kernels;
using Nabla.Ops;
using Nabla.Tensors;
using Nabla.Tests.Kernels;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>F.Conv2d through Winograd against F.Conv2d through im2col: output and every gradient.</summary>
[Collection(WorkersCollection.Name)] // one test changes Workers.Count
public class ConvWinogradTests
{
    /// <summary>Winograd F(4x4,3x3) against the im2col product: max difference relative to the largest |value|
    /// (each path is within a few 1e-6 of float64; see WinogradTests).</summary>
    private const double PathTolerance = 2e-5;

    /// <summary>The registry's names of F(4x4, 3x3), F(2x2, 5x5) and F(4x4, 5x5).</summary>
    private const string Winograd3 = "winograd-f4x4-3x3", Winograd5 = "winograd-f2x2-5x5", Winograd5F4 = "winograd-f4x4-5x5";

    // n, cin, h, w, cout, pad, bias
    public static IEnumerable<object[]> Shapes() => new object[][]
    {
        [1, 1, 3, 3, 1, 0, true],
        [2, 3, 9, 7, 5, 1, true],
        [5, 16, 12, 12, 16, 1, false],
        [3, 32, 26, 26, 64, 0, true],
        [2, 40, 11, 11, 70, 1, true],
        [4, 7, 10, 13, 9, 2, true],
        [1, 9, 8, 8, 3, 3, false],
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Winograd_MatchesIm2Col_ForwardAndGradients(int n, int cin, int h, int w, int cout, int pad, bool withBias)
    {
        var opt = new Conv2dOptions((1, 1), (pad, pad), (1, 1), 1);
        var wino = Run(true, n, cin, h, w, cout, pad, withBias, opt);
        var im2col = Run(false, n, cin, h, w, cout, pad, withBias, opt);
        for (int i = 0; i < wino.Length; i++)
            Assert.True(WinogradTests.RelativeError(wino[i], im2col[i].Select(v => (double)v).ToArray()) <= PathTolerance, $"part {i} (y, dX, dW, db)");
    }

    [Theory]
    [InlineData(3, 32, 26, 26, 64, 0)]
    [InlineData(2, 17, 9, 11, 20, 1)]
    public void WinogradFusedRelu_SameAsConvThenRelu(int n, int cin, int h, int w, int cout, int pad)
    {
        // The gradients are compared with the unfused Winograd path, bit for bit: against im2col the ReLU mask may
        // differ where y is within rounding of zero.
        var opt = new Conv2dOptions((1, 1), (pad, pad), (1, 1), 1);
        var fused = Run(true, n, cin, h, w, cout, pad, true, opt, relu: true);
        var unfused = Run(true, n, cin, h, w, cout, pad, true, opt, relu: true, fuse: false);
        Assert.Equal(unfused, fused);
        Assert.Contains(0f, fused[0]); // the ReLU did clip
        var im2col = Run(false, n, cin, h, w, cout, pad, true, opt, relu: true);
        Assert.True(WinogradTests.RelativeError(fused[0], im2col[0].Select(v => (double)v).ToArray()) <= PathTolerance);
    }

    /// <summary>The F(2x2, 5x5) and F(4x4, 5x5) forwards (and their backward, which runs on F(2x2, 5x5)) against
    /// im2col: the output and the gradients (with the fused ReLU the mask comes from each path's y; with these seeds no
    /// element of y lies within rounding of 0).</summary>
    [Theory]
    [InlineData(2, 16, 23, 23, 20, 2, true, false)]
    [InlineData(2, 16, 23, 23, 20, 2, true, true)]
    [InlineData(3, 5, 9, 11, 7, 0, true, true)]
    [InlineData(1, 17, 8, 8, 16, 1, false, false)]
    [InlineData(2, 3, 6, 13, 33, 2, true, false)]
    public void Winograd5x5_MatchesIm2Col_ForwardAndGradients(int n, int cin, int h, int w, int cout, int pad, bool withBias, bool relu)
    {
        var opt = new Conv2dOptions((1, 1), (pad, pad), (1, 1), 1);
        var im2col = Run(false, n, cin, h, w, cout, pad, withBias, opt, relu, k: 5);
        foreach (string algorithm in new[] { Winograd5, Winograd5F4 })
        {
            var wino = Run(true, n, cin, h, w, cout, pad, withBias, opt, relu, k: 5, algorithm: algorithm);
            if (relu) Assert.Contains(0f, wino[0]); // the ReLU did clip
            for (int i = 0; i < wino.Length; i++)
                Assert.True(WinogradTests.RelativeError(wino[i], im2col[i].Select(v => (double)v).ToArray()) <= PathTolerance, $"{algorithm} part {i} (y, dX, dW, db)");
        }
    }

    [Fact]
    public void Winograd_InputUsedTwice_GradientsAdd()
    {
        // The first backward writes x's new gradient without a clearing pass; the second must add to it.
        var rng = new Rng(11);
        var x = Tensor.Randn(rng, 3, 16, 12, 12); x.RequiresGrad = true;
        var w1 = Tensor.Randn(rng, 16, 16, 3, 3);
        var w2 = Tensor.Randn(rng, 16, 16, 3, 3);
        var opt = new Conv2dOptions((1, 1), (1, 1), (1, 1), 1) { Algorithm = Winograd3 };
        float[] GradOfX(Func<Tensor> loss)
        {
            x.Grad = null;
            loss().Backward();
            return x.Grad!.ToArray();
        }
        var g1 = GradOfX(() => F.Sum(F.Conv2d(x, w1, null, opt)));
        var g2 = GradOfX(() => F.Sum(F.Conv2d(x, w2, null, opt)));
        var both = GradOfX(() => F.Add(F.Sum(F.Conv2d(x, w1, null, opt)), F.Sum(F.Conv2d(x, w2, null, opt))));
        var expected = g1.Select((v, i) => (double)v + g2[i]).ToArray();
        Assert.True(WinogradTests.RelativeError(both, expected) <= 1e-6, "x's gradient is the sum over both uses");
    }

    [Fact]
    public void Winograd_SameBitsForOneAndTwoThreads()
    {
        var opt = new Conv2dOptions((1, 1), (1, 1), (1, 1), 1);
        float[][] RunWith(int threads)
        {
            return WithThreads.Run<float[][]>(threads, () =>
                [.. Run(true, 11, 17, 13, 15, 24, 1, true, opt), .. Run(true, 5, 16, 12, 12, 16, 1, true, opt, relu: true),
                 .. Run(true, 7, 16, 13, 13, 20, 2, true, new Conv2dOptions((1, 1), (2, 2), (1, 1), 1), relu: true, k: 5),
                 .. Run(true, 7, 16, 13, 13, 20, 2, true, new Conv2dOptions((1, 1), (2, 2), (1, 1), 1), relu: true, k: 5, algorithm: Winograd5F4)]);
        }
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Fact]
    public void Dispatch_OtherShapesIgnoreAnUnsupportedAlgorithm()
    {
        // Stride 2, dilation 2, 5x5 kernels and groups stay on im2col even when F(4x4, 3x3) is asked for (a 5x5 kernel
        // here has too few channels for F(2x2, 5x5)).
        var rng = new Rng(3);
        var x = Tensor.Randn(rng, 2, 4, 11, 11);
        foreach (var (wShape, opt) in new (int[], Conv2dOptions)[]
        {
            ([6, 4, 3, 3], new((2, 2), (1, 1), (1, 1), 1)),
            ([6, 4, 3, 3], new((1, 1), (1, 1), (2, 2), 1)),
            ([6, 4, 5, 5], new((1, 1), (2, 2), (1, 1), 1)),
            ([6, 2, 3, 3], new((1, 1), (1, 1), (1, 1), 2)),
        })
        {
            var wt = Tensor.Randn(rng, wShape);
            float[] Forward(string algorithm) => F.Conv2d(x, wt, null, opt with { Algorithm = algorithm }).ToArray();
            Assert.Equal(Forward("im2col"), Forward(Winograd3));
        }
    }

    /// <summary>y, dX, dW and db (db empty without bias) of sum(y ⊙ r) for a fixed random r (y with the ReLU, fused or not, when asked).</summary>
    /// <remarks>A 3x3 kernel switches F(4x4, 3x3) on or off, a 5x5 kernel (<paramref name="k"/>) F(2x2, 5x5), or
    /// <paramref name="algorithm"/> when given.</remarks>
    private static float[][] Run(bool winograd, int n, int cin, int h, int w, int cout, int pad, bool withBias, Conv2dOptions opt, bool relu = false, bool fuse = true, int k = 3, string? algorithm = null)
    {
        var rng = new Rng((ulong)(n * 1000 + cin * 10 + h));
        var x = Tensor.Randn(rng, n, cin, h, w); x.RequiresGrad = true;
        var wt = Tensor.Randn(rng, cout, cin, k, k); wt.RequiresGrad = true;
        Tensor? b = null;
        if (withBias) { b = Tensor.Randn(rng, cout); b.RequiresGrad = true; }
        int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
        var r = Tensor.Randn(rng, n, cout, oh, ow);
        opt = opt with { Algorithm = !winograd ? "im2col" : algorithm ?? (k == 5 ? Winograd5 : Winograd3) };
        var y = !relu ? F.Conv2d(x, wt, b, opt) : fuse ? F.Conv2dRelu(x, wt, b, opt) : F.Relu(F.Conv2d(x, wt, b, opt));
        F.Sum(F.Mul(y, r)).Backward();
        return [y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray(), b?.Grad!.ToArray() ?? []];
    }
}
