using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Kernels;

/// <summary>Winograd F(4x4,3x3) against its naive twin, and both F(2x2) and F(4x4) against a float64 direct convolution.</summary>
[Collection(WorkersCollection.Name)] // one test changes Workers.Count
public class WinogradTests(ITestOutputHelper output)
{
    /// <summary>Fast and naive weight transforms differ only by fused multiply-adds: error relative to the largest |u|.</summary>
    private const double WeightTransformTolerance = 1e-6;
    /// <summary>Fast and naive convolutions add the channel terms in different orders, each with an F(4x4) error
    /// of a few 1e-6 (measured up to 3.7e-6 at 70 channels): max difference relative to the largest |y|.</summary>
    private const double FastVsNaiveTolerance = 1e-5;
    /// <summary>F(4x4,3x3) in float32 against float64: max error relative to the largest |y| (measured 4e-6 at
    /// 32 channels, 7.6e-6 to 9.5e-6 at 256; PyTorch/oneDNN accept about 1e-5).</summary>
    private const double F4AccuracyTolerance = 1.5e-5;
    /// <summary>The direct weight gradient summed in float: max error relative to the largest |dW|.</summary>
    private const double NaiveFilterGradTolerance = 1e-5;
    /// <summary>The Winograd weight gradient against float64: max error relative to the largest |dW|.</summary>
    private const double FilterGradTolerance = 2e-5;
    /// <summary>F(2x2,3x3) in float32 against float64 (smaller transforms, smaller error).</summary>
    private const double F2AccuracyTolerance = 2e-6;

    // n, cin, h, w, cout, pad h, pad w
    public static IEnumerable<object[]> Shapes() => new int[][]
    {
        [1, 1, 3, 3, 1, 0, 0],
        [1, 1, 5, 5, 1, 1, 1],
        [2, 3, 7, 9, 5, 0, 0],
        [3, 2, 6, 6, 4, 1, 1],
        [1, 17, 11, 11, 19, 1, 1],
        [5, 4, 10, 13, 3, 2, 2],
        [2, 70, 6, 5, 9, 1, 0],
        [4, 5, 26, 26, 7, 0, 0],
        [1, 33, 9, 8, 70, 2, 1],
        [3, 16, 14, 15, 16, 0, 2],
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv_MatchesNaiveTwin_WithBiasAndAccumulation(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        var rng = new Random(n * 7919 + cin * 101 + h * 13 + w + cout * 3 + ph);
        int oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 9);
        var bias = GemmTests.Random(rng, cout);
        var u = new float[Winograd.WeightLength(cout, cin)];
        Winograd.TransformWeights(wt, cout, cin, false, u);
        foreach (bool accumulate in new[] { false, true })
        {
            var start = GemmTests.Random(rng, n * cout * oh * ow);
            var fast = accumulate ? (float[])start.Clone() : Enumerable.Repeat(float.NaN, start.Length).ToArray();
            var naive = accumulate ? (float[])start.Clone() : new float[start.Length];
            Winograd.Conv(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), x, u, bias, fast, accumulate);
            WinogradNaive.Conv(x, n, cin, h, w, u, cout, oh, ow, ph, pw, bias, naive, accumulate);
            double err = RelativeError(fast, naive.Select(v => (double)v).ToArray());
            output.WriteLine($"accumulate={accumulate}: fast vs naive {err:E2}");
            Assert.True(err <= FastVsNaiveTolerance, $"error {err:E2}");
        }
        var fastRelu = new float[n * cout * oh * ow];
        var naiveRelu = new float[fastRelu.Length];
        Winograd.Conv(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), x, u, bias, fastRelu, false, relu: true);
        WinogradNaive.Conv(x, n, cin, h, w, u, cout, oh, ow, ph, pw, bias, naiveRelu, false, relu: true);
        Assert.True(RelativeError(fastRelu, naiveRelu.Select(v => (double)v).ToArray()) <= FastVsNaiveTolerance);
        Assert.All(fastRelu, v => Assert.True(v >= 0f));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FilterGrad_MatchesNaiveTwinAndFloat64(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        var rng = new Random(n * 31 + cin * 7 + h * 5 + w * 3 + cout + ph);
        int oh = h + 2 * ph - 2, ow = w + 2 * pw - 2, wn = cout * cin * 9;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        int slots = Winograd.FilterGradSlots(n, cin, cout, oh, ow, 4);
        var partials = Enumerable.Repeat(float.NaN, slots * wn).ToArray();
        Winograd.FilterGrad(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), x, dy, slots, partials);
        var fast = new float[wn];
        for (int s = 0; s < slots; s++)
            for (int i = 0; i < wn; i++) fast[i] += partials[s * wn + i];
        var naive = new float[wn];
        WinogradNaive.FilterGrad(x, n, cin, h, w, dy, cout, oh, ow, ph, pw, naive);
        var reference = new double[wn];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        for (int c = 0; c < cin; c++)
                            for (int a = 0; a < 3; a++)
                                for (int e = 0; e < 3; e++)
                                {
                                    int r = i - ph + a, q = j - pw + e;
                                    if (r < 0 || r >= h || q < 0 || q >= w) continue;
                                    reference[((o * cin + c) * 3 + a) * 3 + e] += (double)dy[((b * cout + o) * oh + i) * ow + j] * x[((b * cin + c) * h + r) * w + q];
                                }
        double errFast = RelativeError(fast, reference), errNaive = RelativeError(naive, reference);
        output.WriteLine($"dW: fast {errFast:E2}, naive {errNaive:E2}");
        Assert.True(errNaive <= NaiveFilterGradTolerance, $"naive error {errNaive:E2}");
        Assert.True(errFast <= FilterGradTolerance, $"fast error {errFast:E2}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_InputGrad_MatchesNaiveTwinAndFloat64(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        var rng = new Random(n * 17 + cin * 5 + h * 3 + w + cout * 11 + pw);
        int oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        var wt = GemmTests.Random(rng, cout * cin * 9);
        var start = GemmTests.Random(rng, n * cin * h * w);
        var u = new float[Winograd.WeightLength(cout, cin)];
        Winograd.TransformWeights(wt, cout, cin, false, u);
        var reference = DirectInputGrad(dy, n, cin, h, w, wt, cout, oh, ow, ph, pw);
        var naive = new float[start.Length];
        WinogradNaive.InputGrad(wt, dy, n, cin, h, w, cout, oh, ow, ph, pw, naive);
        Assert.True(RelativeError(naive, reference) <= NaiveFilterGradTolerance, "naive twin");
        int slots = Winograd.FilterGradSlots(n, cin, cout, oh, ow, 4);
        foreach (bool scalar in new[] { false, true })
        {
            var dx = (float[])start.Clone(); // added to
            Winograd.BackwardCore(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), default, dy, default, u, dx, slots, default,
                overwriteDx: false, maskedScatter: !scalar);
            var got = dx.Select((v, i) => v - start[i]).ToArray();
            double err = RelativeError(got, reference), errNaive = RelativeError(got, naive.Select(v => (double)v).ToArray());
            output.WriteLine($"dX scalar={scalar}: vs float64 {err:E2}, vs naive twin {errNaive:E2}");
            Assert.True(err <= F4AccuracyTolerance, $"error {err:E2}");
            Assert.True(errNaive <= FastVsNaiveTolerance, $"vs naive {errNaive:E2}");
        }
    }

    [Theory]
    [InlineData(4, 5, 26, 26, 7, 0, 0)]
    [InlineData(5, 4, 10, 13, 3, 2, 2)]
    [InlineData(1, 33, 9, 8, 70, 2, 1)]
    public void Backward_OverwriteDx_IgnoresOldContents(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        var rng = new Random(n * 3 + cin + h + w + cout);
        int oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        var u = new float[Winograd.WeightLength(cout, cin)];
        Winograd.TransformWeights(GemmTests.Random(rng, cout * cin * 9), cout, cin, false, u);
        int slots = Winograd.FilterGradSlots(n, cin, cout, oh, ow, 4);
        var added = new float[n * cin * h * w];
        Winograd.Backward(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), default, dy, default, u, added, slots, default);
        var overwritten = Enumerable.Repeat(float.NaN, added.Length).ToArray();
        Winograd.Backward(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), default, dy, default, u, overwritten, slots, default, overwriteDx: true);
        Assert.Equal(added, overwritten);
    }

    [Theory]
    [InlineData(3, 16, 14, 15, 16, 0, 2)]
    [InlineData(4, 5, 26, 26, 7, 0, 0)]
    [InlineData(2, 3, 7, 9, 5, 1, 1)]
    public void Backward_ReluOutputs_SameBitsAsPremaskedGradient(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        // The mask applied as dY is read gives the same dX and dW, bit for bit, as masking dY first; dW also equals FilterGrad's.
        var rng = new Random(n + cin + h + w + cout + ph + pw);
        int oh = h + 2 * ph - 2, ow = w + 2 * pw - 2, wn = cout * cin * 9;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        var y = GemmTests.Random(rng, dy.Length); // about half positive
        var u = new float[Winograd.WeightLength(cout, cin)];
        Winograd.TransformWeights(GemmTests.Random(rng, wn), cout, cin, false, u);
        var masked = new float[dy.Length];
        Activation.ReluMask(y, dy, masked);
        int slots = Winograd.FilterGradSlots(n, cin, cout, oh, ow, 4);
        var dxFused = new float[x.Length]; var pFused = new float[slots * wn];
        var dxMasked = new float[x.Length]; var pMasked = new float[slots * wn];
        var pFilter = new float[slots * wn];
        Winograd.Backward(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), x, dy, y, u, dxFused, slots, pFused);
        Winograd.Backward(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), x, masked, default, u, dxMasked, slots, pMasked);
        Winograd.FilterGrad(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw), x, masked, slots, pFilter);
        Assert.Equal(dxMasked, dxFused);
        Assert.Equal(pMasked, pFused);
        Assert.Equal(pFilter, pFused);
        Assert.Contains(dxFused, v => v != 0f);
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 5, true)]
    [InlineData(16, 1, false)]
    [InlineData(7, 33, true)]
    [InlineData(64, 32, false)]
    [InlineData(17, 70, true)]
    public void TransformWeights_MatchesNaiveTwin(int cout, int cin, bool flip)
    {
        var rng = new Random(cout * 100 + cin);
        var w = GemmTests.Random(rng, cout * cin * 9);
        var fast = Enumerable.Repeat(float.NaN, Winograd.WeightLength(cout, cin)).ToArray();
        var naive = new float[fast.Length];
        Winograd.TransformWeights(w, cout, cin, flip, fast);
        WinogradNaive.TransformWeights(w, cout, cin, flip, naive);
        Assert.True(RelativeError(fast, naive.Select(v => (double)v).ToArray()) <= WeightTransformTolerance);
    }

    [Theory]
    [InlineData(2, F2AccuracyTolerance)]
    [InlineData(4, F4AccuracyTolerance)]
    public void Conv_AccurateAgainstFloat64(int tileOut, double tolerance)
    {
        // mnist-cnn's second layer (32 -> 64 at 26x26, two images) and a wide padded layer like alexnet-mnist's.
        foreach (var (n, cin, hw, cout, pad) in new[] { (2, 32, 26, 64, 0), (1, 256, 11, 24, 1) })
        {
            var rng = new Random(cin + tileOut);
            int o = hw + 2 * pad - 2;
            var x = GemmTests.Random(rng, n * cin * hw * hw);
            var wt = GemmTests.Random(rng, cout * cin * 9);
            var u = new float[(tileOut + 2) * (tileOut + 2) * cout * cin];
            WinogradNaive.TransformWeights(wt, cout, cin, false, u, tileOut);
            var y = new float[n * cout * o * o];
            WinogradNaive.Conv(x, n, cin, hw, hw, u, cout, o, o, pad, pad, default, y, false, tileOut);
            var reference = Direct(x, n, cin, hw, hw, wt, cout, o, o, pad, pad, flip: false);
            double err = RelativeError(y, reference);
            output.WriteLine($"F({tileOut}x{tileOut},3x3) n={n} cin={cin} {hw}x{hw} cout={cout} pad={pad}: max error / max |y| = {err:E2}");
            Assert.True(err <= tolerance, $"error {err:E2} above {tolerance:E1}");
            if (tileOut == Winograd.TileOut)
            {
                var fast = new float[y.Length];
                var uf = new float[u.Length];
                Winograd.TransformWeights(wt, cout, cin, false, uf);
                Winograd.Conv(Geo.Of(n, cin, hw, hw, cout, o, o, pad, pad), x, uf, default, fast, false);
                double errFast = RelativeError(fast, reference);
                output.WriteLine($"  fast path: {errFast:E2}");
                Assert.True(errFast <= tolerance, $"fast path error {errFast:E2} above {tolerance:E1}");
            }
        }
    }

    [Theory]
    [InlineData(3, 4, 9, 7, 6, 0)]
    [InlineData(2, 5, 8, 8, 3, 1)]
    [InlineData(1, 2, 7, 10, 4, 2)]
    [InlineData(2, 3, 9, 9, 2, 3)]
    public void FlippedTransposedWeights_GiveTheInputGradient(int n, int cin, int h, int w, int cout, int pad)
    {
        // dX of y = conv(x, w, pad) is the convolution of dY, padded by 2 - pad (negative: cropped), with the
        // flipped, transposed kernel.
        var rng = new Random(n + 10 * cin + 100 * pad);
        int oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        var wt = GemmTests.Random(rng, cout * cin * 9);
        var u = new float[Winograd.WeightLength(cout, cin)];
        Winograd.TransformWeights(wt, cout, cin, true, u);
        var dx = new float[n * cin * h * w];
        Winograd.Conv(Geo.Of(n, cout, oh, ow, cin, h, w, 2 - pad, 2 - pad), dy, u, default, dx, false);
        var reference = DirectInputGrad(dy, n, cin, h, w, wt, cout, oh, ow, pad, pad);
        Assert.True(RelativeError(dx, reference) <= F4AccuracyTolerance);
    }

    [Fact]
    public void Conv_SameBitsForOneAndTwoThreads()
    {
        var rng = new Random(3);
        const int n = 9, cin = 12, hw = 13, cout = 20;
        var x = GemmTests.Random(rng, n * cin * hw * hw);
        var wt = GemmTests.Random(rng, cout * cin * 9);
        var bias = GemmTests.Random(rng, cout);
        float[] RunWith(int threads)
        {
            return WithThreads.Run<float[]>(threads, () =>
            {
                var u = new float[Winograd.WeightLength(cout, cin)];
                Winograd.TransformWeights(wt, cout, cin, false, u);
                var y = new float[n * cout * hw * hw];
                Winograd.Conv(Geo.Of(n, cin, hw, hw, cout, hw, hw, 1, 1), x, u, bias, y, false);
                int slots = Winograd.FilterGradSlots(n, cin, cout, hw, hw, 4);
                var dw = new float[slots * cout * cin * 9];
                Winograd.FilterGrad(Geo.Of(n, cin, hw, hw, cout, hw, hw, 1, 1), x, y, slots, dw);
                var dx = new float[x.Length];
                Winograd.Backward(Geo.Of(n, cin, hw, hw, cout, hw, hw, 1, 1), x, y, y, u, dx, slots, dw); // dY = y, masked by y > 0
                return [.. u, .. y, .. dw, .. dx];
            });
        }
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Fact]
    public void Conv_ShortSpans_Throw()
    {
        var u = new float[Winograd.WeightLength(2, 3)];
        var ex = Assert.Throws<ArgumentException>(() => Winograd.Conv(Geo.Of(1, 3, 4, 4, 2, 2, 2, 0, 0), new float[10], u, default, new float[8], false));
        Assert.Contains("input needs 48", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Winograd.Backward(Geo.Of(1, 3, 4, 4, 2, 2, 2, 0, 0), default, new float[8], default, u, new float[47], 1, default));
        Assert.Contains("input gradient needs 48", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Winograd.Backward(Geo.Of(1, 3, 4, 4, 2, 2, 2, 0, 0), default, new float[8], default, default, new float[48], 1, default));
        Assert.Contains("transformed weights need 216", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Winograd.TransformWeights(new float[54], 2, 3, false, new float[10]));
        Assert.Contains("transformed weights need 216", ex.Message);
    }

    /// <summary>dX of a 3x3 stride-1 convolution in double: dX[b,c,r,q] = Σ_{o,a,e} dY[b,o,r+ph−a,q+pw−e] w[o,c,a,e].</summary>
    private static double[] DirectInputGrad(float[] dy, int n, int cin, int h, int w, float[] wt, int cout, int oh, int ow, int ph, int pw)
    {
        var reference = new double[n * cin * h * w];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        for (int c = 0; c < cin; c++)
                            for (int a = 0; a < 3; a++)
                                for (int e = 0; e < 3; e++)
                                {
                                    int r = i - ph + a, q = j - pw + e;
                                    if (r < 0 || r >= h || q < 0 || q >= w) continue;
                                    reference[((b * cin + c) * h + r) * w + q] += (double)dy[((b * cout + o) * oh + i) * ow + j] * wt[((o * cin + c) * 3 + a) * 3 + e];
                                }
        return reference;
    }

    /// <summary>max |a − reference| / max |reference|.</summary>
    internal static double RelativeError(float[] a, double[] reference)
    {
        double err = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            err = Math.Max(err, Math.Abs(a[i] - reference[i]));
            scale = Math.Max(scale, Math.Abs(reference[i]));
        }
        return double.IsNaN(err) ? double.PositiveInfinity : err / Math.Max(scale, double.Epsilon);
    }

    /// <summary>The direct 3x3 stride-1 cross-correlation in double (zero padding).</summary>
    internal static double[] Direct(float[] x, int n, int cin, int h, int w, float[] wt, int cout, int oh, int ow, int ph, int pw, bool flip) =>
        Direct(x, n, cin, h, w, wt, cout, 3, oh, ow, ph, pw, flip);

    /// <summary>The direct k x k stride-1 cross-correlation in double (zero padding); with <paramref name="flip"/>, each
    /// kernel rotated by 180°.</summary>
    internal static double[] Direct(float[] x, int n, int cin, int h, int w, float[] wt, int cout, int k, int oh, int ow, int ph, int pw, bool flip)
    {
        int taps = k * k;
        var y = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double sum = 0;
                        for (int c = 0; c < cin; c++)
                            for (int a = 0; a < k; a++)
                            {
                                int r = i - ph + a;
                                if (r < 0 || r >= h) continue;
                                for (int e = 0; e < k; e++)
                                {
                                    int q = j - pw + e;
                                    if (q < 0 || q >= w) continue;
                                    int tap = flip ? taps - 1 - (a * k + e) : a * k + e;
                                    sum += (double)x[((b * cin + c) * h + r) * w + q] * wt[(o * cin + c) * taps + tap];
                                }
                            }
                        y[((b * cout + o) * oh + i) * ow + j] = sum;
                    }
        return y;
    }
}
