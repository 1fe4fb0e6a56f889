using Nabla.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Kernels;

/// <summary>F(4x4, 5x5) on 8x8 tiles, forward and backward, against the direct convolution in float64, for sizes with
/// partial tiles, padding on either side, bias and the fused ReLU; and the same bits at one and two threads.</summary>
[Collection(WorkersCollection.Name)]
public class Winograd5F4Tests(ITestOutputHelper output)
{
    /// <summary>F(4x4, 5x5) in float32 against float64: max error relative to the largest |y|. Its 8 points (0, ±1, ±2,
    /// ±1/2, ∞) scale by up to 21/4 in Bᵀ and 8 in Aᵀ; measured near 1e-6 here and 4e-6 at 96 channels in a float32
    /// model of it (the F(2x2, 5x5) bound is kept).</summary>
    private const double AccuracyTolerance = 2e-5;

    // n, cin, h, w, cout, pad h, pad w
    public static IEnumerable<object[]> Shapes() => new int[][]
    {
        [1, 1, 5, 5, 1, 0, 0],       // one output: a single, mostly padded tile
        [2, 3, 12, 12, 4, 0, 0],     // 8x8 outputs: two whole tiles a side
        [1, 5, 7, 12, 3, 1, 2],
        [2, 17, 6, 6, 33, 2, 2],
        [3, 16, 23, 23, 20, 2, 2],   // alexnet-mnist's plane: 23 = 5 tiles + 3
        [1, 96, 13, 11, 40, 2, 1],
        [4, 2, 8, 30, 5, 0, 2],
        [18, 4, 9, 9, 3, 2, 2],      // 18 images of 9 tiles: chunks of several images
    }.Select(g => g.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv5x5F4_MatchesFloat64Direct(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        var rng = new Random(n * 7907 + cin * 103 + h * 11 + w + cout * 5 + ph);
        int oh = h + 2 * ph - 4, ow = w + 2 * pw - 4;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 25);
        var bias = GemmTests.Random(rng, cout);
        var u = new float[Winograd.WeightLength8(cout, cin)];
        Winograd.TransformWeights5x5F4(wt, cout, cin, u);
        var direct = WinogradTests.Direct(x, n, cin, h, w, wt, cout, 5, oh, ow, ph, pw, flip: false);
        foreach (bool relu in new[] { false, true })
        {
            var y = Enumerable.Repeat(float.NaN, n * cout * oh * ow).ToArray();
            Winograd.Conv5x5F4(Geo.Of(n, cin, h, w, cout, oh, ow, ph, pw, k: 5), x, u, bias, y, relu);
            var want = direct.Select((v, i) => { double b = v + bias[i / (oh * ow) % cout]; return relu ? Math.Max(b, 0) : b; }).ToArray();
            double err = WinogradTests.RelativeError(y, want);
            output.WriteLine($"relu={relu}: {err:E2}");
            Assert.True(err <= AccuracyTolerance, $"relative error {err:E2}");
        }
    }

    /// <summary>The F(4x4, 5x5) backward (the adjoint of Conv5x5F4: one transform of dY for both gradients, the ReLU
    /// mask fused) against float64, with dX scattered by masked vectors and one element at a time.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward5x5F4_MatchesFloat64(int n, int cin, int h, int w, int cout, int ph, int pw)
    {
        Winograd5Tests.CheckBackward5x5(n, cin, h, w, cout, ph, pw, tileOut: Winograd.TileOut, maskedScatter: true);
        Winograd5Tests.CheckBackward5x5(n, cin, h, w, cout, ph, pw, tileOut: Winograd.TileOut, maskedScatter: false);
    }

    [Fact]
    public void Backward5x5F4_SameBitsForOneAndTwoThreads()
    {
        var rng = new Random(6);
        int n = 9, cin = 20, h = 23, w = 23, cout = 24, oh = 23, ow = 23;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 25);
        var dy = GemmTests.Random(rng, n * cout * oh * ow);
        var geo = Geo.Of(n, cin, h, w, cout, oh, ow, 2, 2, k: 5);
        int slots = Winograd.FilterGradSlots(n, cin, cout, oh, ow, 4, kernel: 5, tileOut: Winograd.TileOut);
        Assert.True(slots > 1, "the chunks must be split over slots for this test to mean anything");
        float[][] RunWith(int threads) => WithThreads.Run<float[][]>(threads, () =>
        {
            var u = new float[Winograd.WeightLength8(cout, cin)];
            Winograd.TransformWeights5x5F4(wt, cout, cin, u);
            var dx = new float[x.Length];
            var partials = new float[slots * cout * cin * 25];
            Winograd.Backward(geo, x, dy, default, u, dx, slots, partials, overwriteDx: true, tileOut: Winograd.TileOut);
            return [dx, partials];
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Fact]
    public void Backward_RejectsATilingTheKernelHasNot()
    {
        var g = Geo.Of(1, 1, 5, 5, 1, 3, 3, 0, 0, k: 3);
        var ex = Assert.Throws<ArgumentException>(() => Winograd.Backward(g, new float[25], new float[9], default, new float[36], new float[25], 1, default, tileOut: 4));
        Assert.Contains("not a tiling of a 3x3 kernel", ex.Message);
    }

    [Fact]
    public void Conv5x5F4_SameBitsForOneAndTwoThreads()
    {
        var rng = new Random(5);
        int n = 9, cin = 24, h = 23, w = 23, cout = 32, oh = 23, ow = 23;
        var x = GemmTests.Random(rng, n * cin * h * w);
        var wt = GemmTests.Random(rng, cout * cin * 25);
        var bias = GemmTests.Random(rng, cout);
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var u = new float[Winograd.WeightLength8(cout, cin)];
            Winograd.TransformWeights5x5F4(wt, cout, cin, u);
            var y = new float[n * cout * oh * ow];
            Winograd.Conv5x5F4(Geo.Of(n, cin, h, w, cout, oh, ow, 2, 2, k: 5), x, u, bias, y, relu: true);
            return y;
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }

    [Fact]
    public void Conv5x5F4_ShortSpans_Throw()
    {
        var ex = Assert.Throws<ArgumentException>(() => Winograd.TransformWeights5x5F4(new float[25], 1, 1, new float[63]));
        Assert.Contains("transformed weights need 64 floats", ex.Message);
        var g = Geo.Of(1, 1, 5, 5, 1, 1, 1, 0, 0, k: 5);
        ex = Assert.Throws<ArgumentException>(() => Winograd.Conv5x5F4(g, new float[25], new float[36], default, new float[1], relu: false));
        Assert.Contains("transformed weights need 64 floats", ex.Message);
    }
}
