using Nabla.Tests.NaiveTwins;
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
        [11, 11, 3, 3, 2, 2, 0, 0, 1, 1],
        [7, 70, 3, 3, 2, 2, 0, 0, 1, 1],
        [9, 67, 2, 5, 3, 2, 0, 0, 1, 1],
        [4, 34, 1, 4, 1, 2, 0, 0, 1, 1],
        [3, 3, 3, 3, 2, 2, 0, 0, 1, 1],
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
        Pool.MaxPool2d(x, planes, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), oh, ow, y, arg);
        PoolNaive.MaxPool2d(x, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, yn, argn);
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
        Pool.MaxPool2d(x, planes, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), oh, ow, y, arg);
        var g = GemmTests.Random(rng, y.Length);
        var dx = GemmTests.Random(rng, x.Length);
        var dxn = (float[])dx.Clone();
        var before = (float[])dx.Clone();
        Pool.MaxPool2dBackward(g, arg, planes, h * w, oh * ow, dx);
        PoolNaive.MaxPool2dBackward(g, arg, planes, h * w, oh * ow, dxn);
        Assert.Equal(dxn, dx);
        Assert.NotEqual(before, dx);
    }

    [Theory]
    [InlineData(24, 24)]
    [InlineData(10, 10)]
    [InlineData(2, 64)]
    [InlineData(5, 66)]
    [InlineData(29, 31)]
    [InlineData(4, 35)]
    [InlineData(9, 3)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(6, 33)]
    [InlineData(1, 4)]
    public void MaxPool2x2Backward_MatchesNaive_EveryElementWritten(int h, int w)
    {
        foreach (int planes in new[] { 1, 3, 8 })
        {
            var rng = new Random(h * 131 + w * 7 + planes);
            int oh = h / 2, ow = w / 2;
            var x = GemmTests.Random(rng, planes * h * w);
            for (int i = 0; i < x.Length; i += 5) x[i] = x[(i + 1) % x.Length]; // ties
            var y = new float[planes * oh * ow]; var arg = new int[y.Length];
            if (oh > 0 && ow > 0) Pool.MaxPool2d(x, planes, h, w, new Window2d(2, 2, 2, 2, 0, 0, 1, 1), oh, ow, y, arg);
            var g = GemmTests.Random(rng, y.Length);
            for (int i = 0; i < g.Length; i += 11) g[i] = -0f;
            if (g.Length > 3) g[3] = float.NaN;
            // dx starts as NaN with a guard past the span: every element in the span must be written, none past it.
            var dx = Enumerable.Repeat(float.NaN, x.Length + 40).ToArray();
            var dxn = new float[x.Length];
            Pool.MaxPool2x2Backward(g, arg, planes, h, w, dx.AsSpan(0, x.Length));
            PoolNaive.MaxPool2x2Backward(g, arg, planes, h, w, dxn);
            Assert.Equal(Bits(dxn), Bits(dx.AsSpan(0, x.Length).ToArray()));
            Assert.All(dx[x.Length..], v => Assert.True(float.IsNaN(v), "written past the span"));
        }
    }

    [Fact]
    public void MaxPool2x2Backward_IndexOutsideItsWindow_Throws()
    {
        // Plane 4 x 4, windows 2 x 2: output 1 (top right window) pointing at element 0 (top left window).
        int[] arg = [0, 0, 8, 10];
        foreach (var run in new Action[]
        {
            () => Pool.MaxPool2x2Backward(new float[4], arg, 1, 4, 4, new float[16]),
            () => PoolNaive.MaxPool2x2Backward(new float[4], arg, 1, 4, 4, new float[16]),
        })
            Assert.Contains("index 0 of output 1 is outside its 2x2 window", Assert.Throws<ArgumentException>(run).Message);
        // The same through the vector path: a row of 16 windows.
        var wide = new int[16];
        for (int j = 0; j < 16; j++) wide[j] = 2 * j + 33;
        wide[9] = 2;
        var ex = Assert.Throws<ArgumentException>(() => Pool.MaxPool2x2Backward(new float[16], wide, 1, 2, 32, new float[64]));
        Assert.Contains("index 2 of output 9 is outside its 2x2 window", ex.Message);
    }

    [Theory]
    [InlineData(24, 24)]
    [InlineData(10, 10)]
    [InlineData(5, 66)]
    public void MaxPool2d_2x2_WritesNothingPastItsSpans(int h, int w)
    {
        const int planes = 5, guard = 40;
        int oh = h / 2, ow = w / 2;
        var x = GemmTests.Random(new Random(h + w), planes * h * w);
        var y = Enumerable.Repeat(float.NaN, planes * oh * ow + guard).ToArray();
        var arg = Enumerable.Repeat(-7, y.Length).ToArray();
        var yn = new float[planes * oh * ow]; var argn = new int[yn.Length];
        Pool.MaxPool2d(x, planes, h, w, new Window2d(2, 2, 2, 2, 0, 0, 1, 1), oh, ow, y.AsSpan(0, yn.Length), arg.AsSpan(0, yn.Length));
        PoolNaive.MaxPool2d(x, planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, oh, ow, yn, argn);
        Assert.Equal(yn, y[..yn.Length]);
        Assert.Equal(argn, arg[..yn.Length]);
        Assert.All(y[yn.Length..], v => Assert.True(float.IsNaN(v), "output written past the span"));
        Assert.All(arg[yn.Length..], v => Assert.Equal(-7, v));
    }

    private static int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void MaxPool2dBackward_IndexOutsidePlane_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Pool.MaxPool2dBackward(new float[2], [0, 4], 1, 4, 2, new float[4]));
        Assert.Contains("index 4 outside a plane of 4", ex.Message);
    }

    /// <summary>The vector paths — 2x2 windows at stride 2 (4 rows) and overlapping 3x3 windows at stride 2 (7 rows), 70
    /// columns — with a NaN in the first, a middle or the last tap of a window, next to ±∞ (and, for 3x3, ties), give
    /// the naive twin's values and indices.</summary>
    [Theory]
    [InlineData(2, 4, 0)]
    [InlineData(2, 4, 17)]
    [InlineData(2, 4, 31)]
    [InlineData(2, 4, 64 + 33)]
    [InlineData(2, 4, 2 * 70 - 1)]
    [InlineData(3, 7, 0)]
    [InlineData(3, 7, 17)]
    [InlineData(3, 7, 70 + 33)]
    [InlineData(3, 7, 2 * 70 + 68)]
    public void MaxPool2d_Stride2_NaNInAVectorBlock_MatchesNaive(int k, int h, int nanAt)
    {
        const int planes = 2, w = 70;
        int oh = (h - k) / 2 + 1, ow = (w - k) / 2 + 1;
        var x = GemmTests.Random(new Random(nanAt + k), planes * h * w);
        if (k == 3) for (int i = 3; i < x.Length; i += 5) x[i] = x[i - 2]; // ties
        x[nanAt] = float.NaN;
        if (k == 3) { x[nanAt + 1] = float.PositiveInfinity; x[nanAt + 2] = float.NegativeInfinity; }
        else { x[nanAt + 2] = float.PositiveInfinity; x[nanAt + 3] = float.NegativeInfinity; }
        var y = new float[planes * oh * ow]; var arg = new int[y.Length];
        var yn = new float[y.Length]; var argn = new int[y.Length];
        Pool.MaxPool2d(x, planes, h, w, new Window2d(k, k, 2, 2, 0, 0, 1, 1), oh, ow, y, arg);
        PoolNaive.MaxPool2d(x, planes, h, w, k, k, 2, 2, 0, 0, 1, 1, oh, ow, yn, argn);
        Assert.Contains(float.NaN, y);
        Assert.Equal(yn, y);
        Assert.Equal(argn, arg);
    }

    [Fact]
    public void MaxPool2d_ShortOutput_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Pool.MaxPool2d(new float[16], 1, 4, 4, new Window2d(2, 2, 2, 2, 0, 0, 1, 1), 2, 2, new float[3], new int[4]));
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
        ActivationNaive.ReluBackward(x, g, dn);
        Assert.Equal(dn, d);

        var y = new float[n];
        Activation.Relu(x, y);
        for (int i = 0; i < n; i++) Assert.Equal(float.IsNaN(x[i]) ? float.NaN : Math.Max(x[i], 0f), y[i]);
    }
}
