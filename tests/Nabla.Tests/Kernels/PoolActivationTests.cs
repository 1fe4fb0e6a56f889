using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The max-pool and ReLU kernels against their naive twins over many shapes, tails and NaNs included.</summary>
public class PoolActivationTests
{
    // h, w, kh, kw, sh, sw, ph, pw, dh, dw
    public static IEnumerable<object[]> Windows() => new int[][]
    {
        [28, 28, 2, 2, 2, 2, 0, 0, 1, 1],
        [24, 24, 2, 2, 2, 2, 0, 0, 1, 1],
        [10, 10, 2, 2, 2, 2, 0, 0, 1, 1],
        [2, 64, 2, 2, 2, 2, 0, 0, 1, 1],
        [5, 66, 2, 2, 2, 2, 0, 0, 1, 1],
        [29, 31, 2, 2, 2, 2, 0, 0, 1, 1],
        [4, 35, 2, 2, 2, 2, 0, 0, 1, 1],
        [9, 3, 2, 2, 2, 2, 0, 0, 1, 1],
        [23, 23, 3, 3, 2, 2, 0, 0, 1, 1],
        [7, 9, 3, 3, 1, 2, 1, 1, 1, 1],
        [10, 11, 3, 2, 2, 3, 1, 1, 2, 3],
        [5, 5, 5, 5, 1, 1, 2, 2, 1, 1],
        [1, 1, 1, 1, 1, 1, 0, 0, 1, 1],
        [6, 13, 4, 4, 3, 3, 2, 2, 2, 1],
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Windows))]
    public void MaxPool2d_MatchesNaive(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        const int planes = 3;
        var rng = new Random(h * 31 + w);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        var x = GemmTests.Random(rng, planes * h * w);
        for (int i = 0; i < x.Length; i += 7) x[i] = x[(i + 1) % x.Length]; // ties
        x[x.Length / 2] = float.NaN;
        x[0] = float.PositiveInfinity; x[1] = float.NegativeInfinity; x[w] = -0f; x[w + 1 < x.Length ? w + 1 : 0] = 0f;
        var y = new float[planes * oh * ow]; var arg = new int[y.Length];
        var yn = new float[y.Length]; var argn = new int[y.Length];
        Pool.MaxPool2d(x, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, y, arg);
        Pool.MaxPool2dNaive(x, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, yn, argn);
        Assert.Equal(yn, y);
        Assert.Equal(argn, arg);
    }

    [Theory]
    [MemberData(nameof(Windows))]
    public void MaxPool2dBackward_MatchesNaive(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        const int planes = 3;
        var rng = new Random(h * 17 + w);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        var x = GemmTests.Random(rng, planes * h * w);
        var y = new float[planes * oh * ow]; var arg = new int[y.Length];
        Pool.MaxPool2d(x, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, y, arg);
        var g = GemmTests.Random(rng, y.Length);
        var dx = GemmTests.Random(rng, x.Length);
        var dxn = (float[])dx.Clone();
        var before = (float[])dx.Clone();
        Pool.MaxPool2dBackward(g, arg, planes, h * w, oh * ow, dx);
        Pool.MaxPool2dBackwardNaive(g, arg, planes, h * w, oh * ow, dxn);
        Assert.Equal(dxn, dx);
        Assert.NotEqual(before, dx);
    }

    [Fact]
    public void MaxPool2dBackward_IndexOutsidePlane_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Pool.MaxPool2dBackward(new float[2], [0, 4], 1, 4, 2, new float[4]));
        Assert.Contains("index 4 outside a plane of 4", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(64 + 33)]
    [InlineData(2 * 70 - 1)]
    public void MaxPool2d_2x2_NaNInAVectorBlock_MatchesNaive(int nanAt)
    {
        const int planes = 2, h = 4, w = 70, oh = 2, ow = 35;
        var x = GemmTests.Random(new Random(nanAt), planes * h * w);
        x[nanAt] = float.NaN;
        x[nanAt + 2] = float.PositiveInfinity; x[nanAt + 3] = float.NegativeInfinity;
        var y = new float[planes * oh * ow]; var arg = new int[y.Length];
        var yn = new float[y.Length]; var argn = new int[y.Length];
        Pool.MaxPool2d(x, planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, oh, ow, y, arg);
        Pool.MaxPool2dNaive(x, planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, oh, ow, yn, argn);
        Assert.Contains(float.NaN, y);
        Assert.Equal(yn, y);
        Assert.Equal(argn, arg);
    }

    [Fact]
    public void MaxPool2d_ShortOutput_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Pool.MaxPool2d(new float[16], 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2, new float[3], new int[4]));
        Assert.Contains("output spans need 4", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(65)]
    [InlineData(200_003)]
    public void ReluBackward_And_Relu_MatchNaive(int n)
    {
        var rng = new Random(n);
        var x = GemmTests.Random(rng, n);
        var g = GemmTests.Random(rng, n);
        if (n > 3) { x[1] = 0f; x[2] = float.NaN; g[3] = float.NaN; x[3] = -1f; }
        var d = GemmTests.Random(rng, n);
        var dn = (float[])d.Clone();
        Activation.ReluBackward(x, g, d);
        Activation.ReluBackwardNaive(x, g, dn);
        Assert.Equal(dn, d);

        var y = new float[n];
        Activation.Relu(x, y);
        for (int i = 0; i < n; i++) Assert.Equal(float.IsNaN(x[i]) ? float.NaN : Math.Max(x[i], 0f), y[i]);
    }
}
