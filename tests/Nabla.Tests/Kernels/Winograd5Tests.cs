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
            Winograd.Conv5x5(x, n, cin, h, w, u, cout, oh, ow, ph, pw, bias, y, relu);
            var want = direct.Select((v, i) => { double b = v + bias[i / (oh * ow) % cout]; return relu ? Math.Max(b, 0) : b; }).ToArray();
            double err = WinogradTests.RelativeError(y, want);
            output.WriteLine($"relu={relu}: {err:E2}");
            Assert.True(err <= AccuracyTolerance, $"relative error {err:E2}");
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
            Winograd.Conv5x5(x, n, cin, h, w, u, cout, oh, ow, 2, 2, default, y, relu: true);
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
