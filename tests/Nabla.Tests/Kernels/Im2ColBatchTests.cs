using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>Batched Unfold/Fold against their naive twins (per-image Im2Col naive loops).</summary>
public class Im2ColBatchTests
{
    /// <summary>Fold adds the same terms in another order than the naive loop.</summary>
    private const float FoldTolerance = 1e-5f;

    // images, extra stride, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw
    public static IEnumerable<object[]> Geometries() => new int[][]
    {
        [1, 0, 1, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1],
        [3, 0, 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1],
        [4, 0, 1, 28, 28, 5, 5, 1, 1, 2, 2, 1, 1],
        [2, 17, 4, 11, 13, 4, 4, 2, 3, 0, 1, 1, 1],
        [5, 3, 2, 9, 10, 3, 2, 2, 1, 2, 3, 2, 3],
        [7, 0, 3, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1],
        [2, 1, 1, 4, 7, 5, 5, 1, 2, 3, 3, 1, 1],
        [3, 0, 2, 8, 8, 3, 3, 3, 3, 0, 0, 2, 2],
        [0, 0, 2, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1],
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Unfold_And_Fold_MatchNaive(int images, int extra, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        var rng = new Random(images * 1000 + c * 100 + h);
        int oh = Im2Col.OutputSize(h, kh, sh, ph, dh), ow = Im2Col.OutputSize(w, kw, sw, pw, dw);
        int stride = c * h * w + extra, length = Math.Max(0, images * stride);
        var x = GemmTests.Random(rng, length);
        var fast = Enumerable.Repeat(float.NaN, c * kh * kw * images * oh * ow).ToArray();
        var naive = new float[fast.Length];
        Im2ColBatch.Unfold(x, images, stride, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), fast);
        Im2ColBatchNaive.Unfold(x, images, stride, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, naive);
        Assert.Equal(naive, fast);

        var cols = GemmTests.Random(rng, fast.Length);
        var dxFast = GemmTests.Random(rng, length);
        var dxNaive = (float[])dxFast.Clone();
        Im2ColBatch.Fold(cols, images, stride, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), dxFast);
        Im2ColBatchNaive.Fold(cols, images, stride, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, dxNaive);
        for (int i = 0; i < length; i++) Assert.Equal(dxNaive[i], dxFast[i], FoldTolerance);
    }

    [Fact]
    public void Unfold_ShortColumnSpan_Throws()
    {
        var x = new float[2 * 25];
        var ex = Assert.Throws<ArgumentException>(() => Im2ColBatch.Unfold(x, 2, 25, 1, 5, 5, new Window2d(3, 3, 1, 1, 0, 0, 1, 1), new float[9 * 9]));
        Assert.Contains("column span needs 162", ex.Message);
    }
}
