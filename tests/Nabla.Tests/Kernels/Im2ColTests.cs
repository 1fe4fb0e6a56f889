using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>Unfold/Fold against their naive twins, and convolution through them against direct loops.</summary>
public class Im2ColTests
{
    /// <summary>Convolutions through Unfold + Sgemm sum the same products as the direct loop in another order.</summary>
    private const double SumAbsTolerance = 1e-5;

    // c, h, w, kh, kw, sh, sw, ph, pw, dh, dw
    public static IEnumerable<object[]> Geometries() => new int[][]
    {
        [1, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1],
        [3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1],
        [2, 28, 28, 5, 5, 1, 1, 2, 2, 1, 1],
        [4, 11, 13, 4, 4, 2, 3, 0, 1, 1, 1],
        [2, 9, 10, 3, 2, 2, 1, 2, 3, 2, 3],
        [3, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1],
        [1, 4, 7, 5, 5, 1, 2, 3, 3, 1, 1],   // padding larger than half the kernel: whole rows of zeros
        [2, 8, 8, 3, 3, 3, 3, 0, 0, 2, 2],
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Unfold_And_Fold_MatchNaive(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        var rng = new Random(c * 100 + h);
        int oh = Im2Col.OutputSize(h, kh, sh, ph, dh), ow = Im2Col.OutputSize(w, kw, sw, pw, dw);
        var x = GemmTests.Random(rng, c * h * w);
        var fast = Enumerable.Repeat(float.NaN, c * kh * kw * oh * ow).ToArray();
        var naive = new float[fast.Length];
        Im2ColBatch.Unfold(x, 1, c * h * w, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), fast);
        Im2ColNaive.Unfold(x, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, naive);
        Assert.Equal(naive, fast);

        var cols = GemmTests.Random(rng, fast.Length);
        var dxFast = GemmTests.Random(rng, x.Length);
        var dxNaive = (float[])dxFast.Clone();
        Im2ColBatch.Fold(cols, 1, c * h * w, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), dxFast);
        Im2ColNaive.Fold(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, dxNaive);
        for (int i = 0; i < x.Length; i++) Assert.Equal(dxNaive[i], dxFast[i], 1e-5f);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2d_ThroughUnfoldAndGemm_MatchesDirectLoops(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        const int cout = 5;
        var rng = new Random(c + 7 * h + 13 * kw);
        int oh = Im2Col.OutputSize(h, kh, sh, ph, dh), ow = Im2Col.OutputSize(w, kw, sw, pw, dw), l = oh * ow, ck = c * kh * kw;
        var x = GemmTests.Random(rng, c * h * w);
        var wt = GemmTests.Random(rng, cout * ck);
        var dy = GemmTests.Random(rng, cout * l);

        var cols = new float[ck * l];
        Im2ColBatch.Unfold(x, 1, c * h * w, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), cols);
        var y = new float[cout * l];
        Gemm.Sgemm(false, false, cout, l, ck, wt, ck, cols, l, y, l, 0f);            // Y = W · cols
        var dw_ = new float[cout * ck];
        Gemm.Sgemm(false, true, cout, ck, l, dy, l, cols, l, dw_, ck, 0f);           // dW = dY · colsᵀ
        var dcols = new float[ck * l];
        Gemm.Sgemm(true, false, ck, l, cout, wt, ck, dy, l, dcols, l, 0f);           // dcols = Wᵀ · dY
        var dx = new float[x.Length];
        Im2ColBatch.Fold(dcols, 1, c * h * w, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), dx);

        // Direct loops, in double, with magnitudes Σ|·||·| for the tolerance.
        var yRef = new double[y.Length]; var yMag = new double[y.Length];
        var dwRef = new double[dw_.Length]; var dwMag = new double[dw_.Length];
        var dxRef = new double[dx.Length]; var dxMag = new double[dx.Length];
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < c; ci++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++)
                            {
                                int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                int xi = (ci * h + iy) * w + ix, wi = ((co * c + ci) * kh + i) * kw + j, yi = co * l + oy * ow + ox;
                                yRef[yi] += (double)wt[wi] * x[xi]; yMag[yi] += Math.Abs((double)wt[wi] * x[xi]);
                                dwRef[wi] += (double)dy[yi] * x[xi]; dwMag[wi] += Math.Abs((double)dy[yi] * x[xi]);
                                dxRef[xi] += (double)dy[yi] * wt[wi]; dxMag[xi] += Math.Abs((double)dy[yi] * wt[wi]);
                            }
        AssertClose("y", yRef, yMag, y);
        AssertClose("dW", dwRef, dwMag, dw_);
        AssertClose("dX", dxRef, dxMag, dx);
    }

    [Fact]
    public void Unfold_RejectsAKernelThatDoesNotFit()
    {
        var x = new float[9];
        var cols = new float[100];
        Assert.Throws<ArgumentException>(() => Im2ColBatch.Unfold(x, 1, 1 * 3 * 3, 1, 3, 3, new Window2d(5, 5, 1, 1, 0, 0, 1, 1), cols));
        Assert.Throws<ArgumentException>(() => Im2ColBatch.Unfold(x, 1, 1 * 3 * 3, 1, 3, 3, new Window2d(3, 3, 0, 1, 0, 0, 1, 1), cols));
        Assert.Throws<ArgumentException>(() => Im2ColBatch.Unfold(x, 1, 1 * 3 * 3, 1, 3, 3, new Window2d(2, 2, 1, 1, 0, 0, 1, 1), new float[15]));
    }

    private static void AssertClose(string what, double[] expected, double[] magnitude, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= SumAbsTolerance * magnitude[i] + 1e-30))
                Assert.Fail($"{what}[{i}]: got {actual[i]}, direct loops {expected[i]} (Σ|·| {magnitude[i]})");
    }
}
