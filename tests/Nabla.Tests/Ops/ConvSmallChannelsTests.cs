using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>Convolutions with few output channels per group (the <see cref="Nabla.Kernels.SmallGemm"/> path, one or two
/// blocks of 8 rows, with saved or recomputed columns) against a direct float64 evaluation of the definition:
/// forward, dX and dW for the loss Σ y·r.</summary>
public class ConvSmallChannelsTests
{
    /// <summary>float32 sums of up to a few hundred terms against float64.</summary>
    private const double Tolerance = 2e-4;

    // n, cin, h, w, cout, k, stride, padding, groups
    public static IEnumerable<object[]> Cases() => new object[][]
    {
        [3, 1, 28, 28, 6, 5, 1, 2, 1],
        [2, 6, 14, 14, 16, 5, 1, 0, 1],
        [2, 4, 9, 11, 12, 3, 2, 1, 2],
        [3, 2, 7, 7, 9, 3, 1, 1, 1],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_FewOutputChannels_MatchesDirectDefinition(int n, int cin, int h, int w, int cout, int k, int stride, int pad, int groups)
    {
        var rng = new Rng(21);
        var x = Tensor.Randn(rng, n, cin, h, w); x.RequiresGrad = true;
        var wt = Tensor.Randn(rng, cout, cin / groups, k, k); wt.RequiresGrad = true;
        var b = Tensor.Randn(rng, cout); b.RequiresGrad = true;
        var y = F.Conv2d(x, wt, b, new Conv2dOptions((stride, stride), (pad, pad), (1, 1), groups));
        var r = Tensor.Randn(rng, y.Shape);
        F.Sum(F.Mul(y, r)).Backward();

        int oh = y.Shape[2], ow = y.Shape[3], cpg = cin / groups, cpo = cout / groups;
        float[] xd = x.ToArray(), wd = wt.ToArray(), bd = b.ToArray(), rd = r.ToArray(), yd = y.ToArray();
        var dx = new double[xd.Length]; var dw = new double[wd.Length];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((s * cout + o) * oh + i) * ow + j;
                        double acc = bd[o];
                        for (int c = 0; c < cpg; c++)
                            for (int a = 0; a < k; a++)
                                for (int e = 0; e < k; e++)
                                {
                                    int iy = i * stride - pad + a, ix = j * stride - pad + e;
                                    if ((uint)iy >= (uint)h || (uint)ix >= (uint)w) continue;
                                    int xi = ((s * cin + o / cpo * cpg + c) * h + iy) * w + ix, wi = ((o * cpg + c) * k + a) * k + e;
                                    acc += (double)wd[wi] * xd[xi];
                                    dx[xi] += (double)wd[wi] * rd[yi];
                                    dw[wi] += (double)xd[xi] * rd[yi];
                                }
                        Assert.True(Math.Abs(acc - yd[yi]) <= Tolerance * (1 + Math.Abs(acc)), $"y[{yi}] = {yd[yi]}, expected {acc}");
                    }
        var gx = x.Grad!.ToArray(); var gw = wt.Grad!.ToArray();
        for (int i = 0; i < dx.Length; i++) Assert.True(Math.Abs(dx[i] - gx[i]) <= Tolerance * (1 + Math.Abs(dx[i])), $"dx[{i}] = {gx[i]}, expected {dx[i]}");
        for (int i = 0; i < dw.Length; i++) Assert.True(Math.Abs(dw[i] - gw[i]) <= Tolerance * (1 + Math.Abs(dw[i])), $"dw[{i}] = {gw[i]}, expected {dw[i]}");
    }
}
