using Nabla.Analysis;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Analysis;

public class ConvToeplitzTests
{
    /// <summary>float32 engine against float64 matrix products: relative to the largest reference value.</summary>
    private const double Tol = 1e-5;

    // cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, h, w; bias
    public static TheoryData<int[], bool> Configs() => new()
    {
        { new[] { 1, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1, 5, 5 }, true },
        { new[] { 2, 3, 3, 2, 2, 1, 1, 0, 1, 1, 1, 7, 6 }, false },
        { new[] { 4, 6, 2, 3, 1, 2, 1, 1, 2, 1, 2, 6, 8 }, true },
        { new[] { 3, 3, 3, 3, 2, 2, 2, 1, 1, 2, 3, 7, 7 }, true },   // depthwise, padding on one axis larger than the other
        { new[] { 2, 4, 1, 1, 3, 2, 0, 1, 1, 1, 1, 5, 4 }, true },
        { new[] { 4, 2, 5, 3, 1, 1, 4, 3, 1, 1, 2, 3, 2 }, false },  // padding > kernel/2: taps fall in the padding
    };

    private static (Conv2d Conv, Tensor X) Make(int cin, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int g, bool bias, int h, int w)
    {
        var conv = new Conv2d(cin, cout, (kh, kw), (sh, sw), (ph, pw), (dh, dw), g, bias, new Rng(17));
        var x = Tensor.Randn(new Rng(18), 2, cin, h, w);
        return (conv, x);
    }

    private static double[] MatVec(Tensor a, ReadOnlySpan<float> v, bool transpose)
    {
        int rows = a.Shape[0], cols = a.Shape[1];
        var r = new double[transpose ? cols : rows];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double e = a.Data[i * cols + j];
                if (transpose) r[j] += e * v[i]; else r[i] += e * v[j];
            }
        return r;
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++) { diff = Math.Max(diff, Math.Abs(expected[i] - actual[i])); scale = Math.Max(scale, Math.Abs(expected[i])); }
        Assert.True(diff / Math.Max(scale, 1e-6) <= Tol, $"rel err {diff / Math.Max(scale, 1e-6):E3}");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Matrix_TimesInput_PlusBias_EqualsConvForward(int[] cfg, bool bias)
    {
        var (cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, h, w) = (cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5], cfg[6], cfg[7], cfg[8], cfg[9], cfg[10], cfg[11], cfg[12]);
        var (conv, x) = Make(cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, bias, h, w);
        var a = ConvToeplitz.Matrix(conv, h, w);
        var b = ConvToeplitz.BiasVector(conv, h, w);
        var y = conv.Forward(x);
        int inSize = cin * h * w, outSize = y.Numel / 2;
        Assert.Equal([outSize, inSize], a.Shape);
        for (int n = 0; n < 2; n++)
        {
            var ax = MatVec(a, x.Span.Slice(n * inSize, inSize), transpose: false);
            for (int i = 0; i < ax.Length; i++) ax[i] += b.Data[i];
            AssertClose(ax, y.Span.Slice(n * outSize, outSize));
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void MatrixTranspose_TimesOutputGrad_EqualsInputGrad(int[] cfg, bool bias)
    {
        var (cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, h, w) = (cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5], cfg[6], cfg[7], cfg[8], cfg[9], cfg[10], cfg[11], cfg[12]);
        var (conv, x) = Make(cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, bias, h, w);
        x.RequiresGrad = true;
        var y = conv.Forward(x);
        var dy = Tensor.Randn(new Rng(19), y.Shape);
        F.Sum(F.Mul(y, dy)).Backward();
        var a = ConvToeplitz.Matrix(conv, h, w);
        int inSize = cin * h * w, outSize = y.Numel / 2;
        for (int n = 0; n < 2; n++)
            AssertClose(MatVec(a, dy.Span.Slice(n * outSize, outSize), transpose: true), x.Grad!.Span.Slice(n * inSize, inSize));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void WeightGrad_IsCorrelationOfInputWithOutputGrad(int[] cfg, bool bias)
    {
        var (cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, h, w) = (cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5], cfg[6], cfg[7], cfg[8], cfg[9], cfg[10], cfg[11], cfg[12]);
        var (conv, x) = Make(cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, bias, h, w);
        var y = conv.Forward(x);
        var dy = Tensor.Randn(new Rng(20), y.Shape);
        F.Sum(F.Mul(y, dy)).Backward();
        int oh = y.Shape[2], ow = y.Shape[3], cpg = cin / g, opg = cout / g;
        // dW[o, c, a, b] = Σ_n Σ_{i,j} dY[n, o, i, j] · x[n, group(o)·cpg + c, i·sh − ph + a·dh, j·sw − pw + b·dw]
        var dw4 = new double[cout * cpg * kh * kw];
        var db = new double[cout];
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double d = dy[n, o, i, j];
                        db[o] += d;
                        for (int c = 0; c < cpg; c++)
                            for (int ka = 0; ka < kh; ka++)
                                for (int kb = 0; kb < kw; kb++)
                                {
                                    int r = i * sh - ph + ka * dh, s = j * sw - pw + kb * dw;
                                    if (r < 0 || r >= h || s < 0 || s >= w) continue;
                                    dw4[((o * cpg + c) * kh + ka) * kw + kb] += d * x[n, o / opg * cpg + c, r, s];
                                }
                    }
        AssertClose(dw4, conv.Weight.Grad!.Span);
        if (bias) AssertClose(db, conv.Bias!.Grad!.Span);
    }

    [Fact]
    public void Matrix_InputSmallerThanKernel_Throws()
    {
        var conv = new Conv2d(1, 1, (5, 5), rng: new Rng(1));
        var e = Assert.Throws<ArgumentException>(() => ConvToeplitz.Matrix(conv, 3, 3));
        Assert.Contains("3x3", e.Message);
    }
}
