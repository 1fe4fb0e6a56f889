using Nabla.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Kernels;

/// <summary>F(2x2, 5x5) against the direct convolution in float64, for sizes with partial tiles, padding on either side,
/// bias and the fused ReLU; and the same bits at one and two threads.</summary>
[Collection(WorkersCollection.Name)]
public class Winograd5Tests(ITestOutputHelper output)
{
    /// <summary>F(2x2,5x5) in float32 against float64: max error relative to the largest |y| (the transforms scale by
    /// up to 16/24 and 5; measured below 1e-5 at up to 96 channels).</summary>
    private const double AccuracyTolerance = 2e-5;

    // n, cin, h, w, cout, pad h, pad w
    public static IEnumerable<object[]> Shapes() => new int[][]
    {
        [1, 1, 5, 5, 1, 0, 0],
        [2, 3, 9, 9, 4, 0, 0],
        [1, 5, 7, 12, 3, 1, 2],
        [2, 17, 6, 6, 33, 2, 2],
        [3, 16, 23, 23, 20, 2, 2],
        [1, 96, 13, 11, 40, 2, 1],
        [4, 2, 8, 30, 5, 0, 2],
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv5x5_MatchesFloat64Direct(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        var rng = new Random(n * 7919 + cin * 101 + h * 13 + w + cout * 3 + ph);
        int oh = h + 2 * ph - 4, ow = w + 2 * pw - 4;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 25);
        var bias = GemmTests.Random(rng, cout);
        var u = new float[Winograd.WeightLength(cout, cin)];
        Winograd.TransformWeights5x5(wt, cout, cin, u);
        var direct = WinogradTests.Direct(x, n, cin, h, w, wt, cout, 5, oh, ow, ph, pw, flip: false);
        foreach (bool relu in new[] { false, true })
        {
            var y = Enumerable.Repeat(float.NaN, n * cout * oh * ow).ToArray();
            Winograd.Conv5x5(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw, k: 5), x, u, bias, y, relu);
            var want = direct.Select((v, i) => { double b = v + bias[i / (oh * ow) % cout]; return relu ? Math.Max(b, 0) : b; }).ToArray();
            double err = WinogradTests.RelativeError(y, want);
            output.WriteLine($"relu={relu}: {err:E2}");
            Assert.True(err <= AccuracyTolerance, $"relative error {err:E2}");
        }
    }

    /// <summary>The F(2x2,5x5) backward (one transform of dY for both gradients, the ReLU mask fused) against float64:
    /// dX = the full correlation of dY' with the rotated kernels, dW = Σ dY'·x; with and without the mask.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward5x5_MatchesFloat64(int n, int cin, int h, int w, int cout, int ph, int pw) =>
        CheckBackward5x5(n, cin, h, w, cout, ph, pw, tileOut: 0, maskedScatter: true);

    /// <summary>The backward on F(2x2, 5x5) (<paramref name="tileOut"/> 0) or F(4x4, 5x5) (4) against float64, the
    /// scatter of dX by masked vectors or one element at a time.</summary>
    internal static void CheckBackward5x5(int n, int cin, int h, int w, int cout, int ph, int pw, int tileOut, bool maskedScatter)
    {
        var rng = new Random(n * 31 + cin * 7 + h * 5 + w * 3 + cout + pw);
        int oh = h + 2 * ph - 4, ow = w + 2 * pw - 4;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 25);
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        var yRelu = GemmTests.Random(rng, dy.Length);
        float[] u;
        if (tileOut == 0) Winograd.TransformWeights5x5(wt, cout, cin, u = new float[Winograd.WeightLength(cout, cin)]);
        else Winograd.TransformWeights5x5F4(wt, cout, cin, u = new float[Winograd.WeightLength8(cout, cin)]);
        int slots = Winograd.FilterGradSlots(n, cin, cout, oh, ow, 4, kernel: 5, tileOut);
        foreach (bool masked in new[] { false, true })
        {
            var g = masked ? dy.Select((v, i) => yRelu[i] > 0f ? v : 0f).ToArray() : dy;
            var dx = GemmTests.Random(rng, n * cin * h * w);
            var dx0 = (double[])dx.Select(v => (double)v).ToArray();
            var partials = new float[slots * cout * cin * 25];
            Winograd.BackwardCore(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw, k: 5), x, dy, masked ? yRelu : default, u, dx, slots, partials,
                overwriteDx: false, maskedScatter, tileOut);
            // dX: dY' correlated with the rotated kernels, transposed channels, padding k − 1 − p.
            var wT = new float[cin * cout * 25];
            for (int o = 0; o < cout; o++)
                for (int c = 0; c < cin; c++)
                    for (int t = 0; t < 25; t++) wT[(c * cout + o) * 25 + t] = wt[(o * cin + c) * 25 + t];
            var dxWant = WinogradTests.Direct(g, n, cout, oh, ow, wT, cin, 5, h, w, 4 - ph, 4 - pw, flip: true);
            for (int i = 0; i < dxWant.Length; i++) dxWant[i] += dx0[i];
            Assert.True(WinogradTests.RelativeError(dx, dxWant) <= AccuracyTolerance, $"dX (masked {masked}, tileOut {tileOut}, masked scatter {maskedScatter})");
            var dw = new float[cout * cin * 25];
            for (int sl = 0; sl < slots; sl++)
                for (int i = 0; i < dw.Length; i++) dw[i] += partials[sl * dw.Length + i];
            var dwWant = new double[dw.Length];
            for (int b = 0; b < n; b++)
                for (int o = 0; o < cout; o++)
                    for (int i = 0; i < oh; i++)
                        for (int j = 0; j < ow; j++)
                        {
                            double gv = g[((b * cout + o) * oh + i) * ow + j];
                            if (gv == 0) continue;
                            for (int c = 0; c < cin; c++)
                                for (int a = 0; a < 5; a++)
                                {
                                    int r = i - ph + a;
                                    if (r < 0 || r >= h) continue;
                                    for (int e = 0; e < 5; e++)
                                    {
                                        int q = j - pw + e;
                                        if (q >= 0 && q < w) dwWant[((o * cin + c) * 5 + a) * 5 + e] += gv * x[((b * cin + c) * h + r) * w + q];
                                    }
                                }
                        }
            Assert.True(WinogradTests.RelativeError(dw, dwWant) <= AccuracyTolerance, $"dW (masked {masked}, tileOut {tileOut})");
        }
    }

    [Fact]
    public void Conv5x5_SameBitsForOneAndTwoThreads()
    {
        var rng = new Random(3);
        int n = 5, cin = 24, h = 23, w = 23, cout = 32, oh = 23, ow = 23;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 25);
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var u = new float[Winograd.WeightLength(cout, cin)];
            Winograd.TransformWeights5x5(wt, cout, cin, u);
            var y = new float[n * cout * oh * ow];
            Winograd.Conv5x5(Geo.Of(n, cin, h, w, cout, oh, ow, 2, 2, k: 5), x, u, default, y, relu: true);
            return y;
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Fact]
    public void TransformWeights5x5_ShortSpan_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Winograd.TransformWeights5x5(new float[24], 1, 1, new float[36]));
        Assert.Contains("weights need 25 floats", ex.Message);
    }
}
