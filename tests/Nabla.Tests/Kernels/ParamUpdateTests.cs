using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The vectorised, split optimizer updates against their one-element-at-a-time twins, bit for bit.</summary>
public class ParamUpdateTests
{
    public static IEnumerable<object[]> Lengths() => new[] { 0, 1, 7, 15, 17, 63, 65, 32_768 + 9, 100_003 }.Select(n => new object[] { n });

    private static (float[] P, float[] G, float[] S) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var p = GemmTests.Random(rng, n);
        var g = GemmTests.Random(rng, n);
        var s = GemmTests.Random(rng, n);
        return (p, g, s);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Sgd_EveryForm_MatchesNaiveBitForBit(int n)
    {
        var settings = new ParamUpdate.SgdSettings[]
        {
            new(0.05f, 0f, 0f, 0f, false, false, false),
            new(0.05f, 0f, 0f, 1e-2f, false, false, false),
            new(0.01f, 0.9f, 0f, 0f, false, false, true),
            new(0.01f, 0.9f, 0f, 0f, false, false, false),
            new(0.01f, 0.9f, 0.3f, 1e-3f, false, false, false),
            new(0.01f, 0.9f, 0f, 1e-3f, true, false, false),
            new(0.01f, 0.8f, 0f, 1e-3f, false, true, false),
        };
        foreach (var s in settings)
        {
            var (p, g, st) = Data(n, n + 1);
            var (pn, _, stn) = Data(n, n + 1);
            ParamUpdate.Sgd(p, g, st, s);
            ParamUpdateNaive.Sgd(pn, g, stn, s);
            Assert.Equal(pn, p);
            Assert.Equal(stn, st);
            if (n > 0 && s.Lr != 0) Assert.NotEqual(Data(n, n + 1).P, p); // the update did something
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Adam_BothWeightDecays_MatchNaiveBitForBit(int n)
    {
        foreach (var (wd, decoupled) in new[] { (0f, false), (0.01f, false), (0.01f, true) })
        {
            var s = new ParamUpdate.AdamSettings(1e-3f, 0.9f, 0.999f, 1e-8f, wd, decoupled, 1e-3f / (1 - 0.9f * 0.9f), MathF.Sqrt(1 - 0.999f * 0.999f));
            var (p, g, m) = Data(n, 2 * n + 3);
            var v = m.Select(Math.Abs).ToArray();
            var (pn, _, mn) = Data(n, 2 * n + 3);
            var vn = mn.Select(Math.Abs).ToArray();
            ParamUpdate.Adam(p, g, m, v, s);
            ParamUpdateNaive.Adam(pn, g, mn, vn, s);
            Assert.Equal(pn, p);
            Assert.Equal(mn, m);
            Assert.Equal(vn, v);
        }
    }

    [Fact]
    public void Sgd_LengthsDiffer_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            ParamUpdate.Sgd(new float[4], new float[4], new float[3], new ParamUpdate.SgdSettings(0.1f, 0.9f, 0, 0, false, false, false)));
        Assert.Contains("state 3", ex.Message);
    }
}
