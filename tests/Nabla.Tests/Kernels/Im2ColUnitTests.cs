using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The stride-1 unfold/fold against the naive twins and <see cref="Im2ColBatch"/> (bit for bit), with runs
/// shorter than, equal to and longer than a vector, padding on either side, and gaps between images.</summary>
public class Im2ColUnitTests
{
    /// <summary>Fold adds the same terms in another order than the naive loop.</summary>
    private const float FoldTolerance = 1e-5f;

    /// <summary>Floats after the column span that the unfold must leave alone.</summary>
    private const int Guard = 32;

    // images, extra stride, c, h, w, kh, kw, ph, pw
    public static IEnumerable<object[]> Geometries() => new int[][]
    {
        [1, 0, 1, 5, 5, 3, 3, 0, 0],
        [3, 0, 3, 7, 9, 3, 3, 1, 1],
        [4, 0, 1, 28, 28, 5, 5, 2, 2],
        [3, 5, 6, 14, 14, 5, 5, 0, 0],
        [2, 1, 2, 9, 20, 3, 4, 2, 3],
        [2, 0, 1, 3, 40, 1, 7, 0, 3],
        [1, 0, 1, 2, 17, 2, 1, 0, 0],
        [2, 0, 2, 4, 4, 5, 5, 2, 2],
        [2, 3, 1, 6, 8, 1, 1, 0, 0],
        [3, 0, 1, 1, 3, 1, 1, 0, 0], // planes of 3 outputs: a full-vector store of image 0 reaches past the span (issue 21)
        [2, 0, 2, 3, 2, 5, 3, 4, 3], // input smaller than the kernel, padding past it: 7x6 planes
        [0, 0, 2, 5, 5, 3, 3, 0, 0],
        [2, 1, 1, 3, 1100, 2, 3, 1, 1], // rows of 1,100 outputs: more segment masks than fit on the stack
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Unfold_And_Fold_MatchNaiveAndBatch(int images, int extra, int c, int h, int w, int kh, int kw, int ph, int pw)
    {
        var rng = new Random(images * 1000 + c * 100 + h + w);
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
        int stride = c * h * w + extra, length = Math.Max(0, images * stride);
        var x = GemmTests.Random(rng, length);
        int colsLength = c * kh * kw * images * oh * ow;
        var guarded = Enumerable.Repeat(float.NaN, colsLength + Guard).ToArray(); // full-vector stores must stay inside the span
        var fast = guarded.AsSpan(0, colsLength).ToArray();
        var naive = new float[colsLength];
        Im2ColUnit.Unfold(x, images, stride, c, h, w, Unit(kh, kw, ph, pw), guarded.AsSpan(0, colsLength));
        Im2ColBatchNaive.Unfold(x, images, stride, c, h, w, kh, kw, 1, 1, ph, pw, 1, 1, naive);
        guarded.AsSpan(0, colsLength).CopyTo(fast);
        Assert.Equal(naive, fast);
        Assert.All(guarded.Skip(colsLength), g => Assert.True(float.IsNaN(g), "Unfold wrote past the column span"));

        var cols = GemmTests.Random(rng, fast.Length);
        var dxFast = GemmTests.Random(rng, length);
        var dxBatch = (float[])dxFast.Clone();
        var dxNaive = (float[])dxFast.Clone();
        Im2ColUnit.Fold(cols, images, stride, c, h, w, Unit(kh, kw, ph, pw), dxFast);
        Im2ColBatch.Fold(cols, images, stride, c, h, w, Unit(kh, kw, ph, pw), dxBatch);
        Im2ColBatchNaive.Fold(cols, images, stride, c, h, w, kh, kw, 1, 1, ph, pw, 1, 1, dxNaive);
        Assert.Equal(dxBatch, dxFast);
        for (int i = 0; i < length; i++) Assert.Equal(dxNaive[i], dxFast[i], FoldTolerance);
    }

    [Fact]
    public void Unfold_ShortColumnSpan_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Im2ColUnit.Unfold(new float[50], 2, 25, 1, 5, 5, Unit(3, 3, 0, 0), new float[81]));
        Assert.Contains("Im2ColUnit: column span needs 162", ex.Message);
    }

    [Fact]
    public void Fold_StridedWindow_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Im2ColUnit.Fold(new float[18], 1, 25, 1, 5, 5, new Window2d(3, 3, 2, 2, 0, 0, 1, 1), new float[25]));
        Assert.Contains("Im2ColUnit: needs stride 1 and dilation 1, got stride=2x2 dilation=1x1", ex.Message);
    }

    private static Window2d Unit(int kh, int kw, int ph, int pw) => new(kh, kw, 1, 1, ph, pw, 1, 1);
}
