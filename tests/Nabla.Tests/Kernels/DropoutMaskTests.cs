using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The counter-based dropout mask: the vector kernel against its definition (every length's tail, every
/// threshold edge), thread-count independence, and the statistics of the mask.</summary>
public class DropoutMaskTests
{
    /// <summary>Half-width of the acceptance band of a count, in binomial standard deviations.</summary>
    private const double Sigmas = 5.0;

    public static IEnumerable<object[]> Probabilities() => new object[][]
    {
        [0.3f], [0.25f], [0.5f], [1e-7f], [0.99999994f], [1f], [0f],
    };

    [Theory]
    [MemberData(nameof(Probabilities))]
    public void Apply_MatchesNaive_EveryLength(float p)
    {
        var rng = new Random(BitConverter.SingleToInt32Bits(p));
        for (int n = 0; n <= 256; n++)
            foreach (bool accumulate in new[] { false, true })
            {
                ulong key = (ulong)rng.NextInt64() ^ ((ulong)n << 40);
                var src = GemmTests.Random(rng, n);
                if (n > 2) { src[0] = float.PositiveInfinity; src[1] = float.NaN; src[2] = -0f; }
                var dst = GemmTests.Random(rng, n);
                var dstNaive = (float[])dst.Clone();
                DropoutMask.Apply(key, p, src, dst, accumulate);
                DropoutMaskNaive.Apply(key, p, src, dstNaive, accumulate);
                Assert.Equal(dstNaive, dst);
            }
    }

    [Fact]
    public void Apply_ThresholdIsInclusive()
    {
        // p equal to an element's uniform keeps it; the next float up drops it (the vector path's integer
        // comparison against ⌈p·2²⁴⌉ must agree with u ≥ p exactly at the edge).
        const ulong key = 0x0123456789ABCDEFUL;
        var ones = Enumerable.Repeat(1f, 64).ToArray();
        for (int k = 0; k < 64; k += 7)
        {
            float p = DropoutMask.Uniform(key, k);
            var y = new float[64];
            DropoutMask.Apply(key, p, ones, y, accumulate: false);
            Assert.Equal(DropoutMask.Keep(p), y[k]);
            float above = MathF.BitIncrement(p);
            DropoutMask.Apply(key, above, ones, y, accumulate: false);
            Assert.Equal(0f, y[k]);
        }
    }

    [Fact]
    public void Apply_SameBitsForOneAndTwoThreads()
    {
        var src = GemmTests.Random(new Random(3), 300_007);
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var dst = new float[src.Length];
            DropoutMask.Apply(42, 0.4f, src, dst, accumulate: false);
            DropoutMask.Apply(43, 0.2f, src, dst, accumulate: true);
            return dst;
        });
        var one = RunWith(1);
        Assert.Equal(one, RunWith(2));
        var naive = new float[src.Length];
        DropoutMaskNaive.Apply(42, 0.4f, src, naive, accumulate: false);
        DropoutMaskNaive.Apply(43, 0.2f, src, naive, accumulate: true);
        Assert.Equal(naive, one);
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.25f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void Mask_DropRateScaleAndNeighbours(float p)
    {
        const int n = 1 << 20;
        var ones = Enumerable.Repeat(1f, n).ToArray();
        var y = new float[n];
        DropoutMask.Apply(0xC0FFEE ^ (ulong)BitConverter.SingleToInt32Bits(p), p, ones, y, accumulate: false);
        float keep = 1f / (1f - p);
        Assert.All(y, v => Assert.True(v == 0f || v == keep, $"mask value {v} is neither 0 nor {keep}"));
        AssertCount(y.Count(v => v == 0f), n, p, "dropped elements");
        // The two halves of one hash (2j, 2j + 1) and neighbours from different hashes (2j + 1, 2j + 2) are independent.
        int sameHash = 0, nextHash = 0;
        for (int j = 0; j + 2 < n; j += 2)
        {
            if (y[j] == 0f && y[j + 1] == 0f) sameHash++;
            if (y[j + 1] == 0f && y[j + 2] == 0f) nextHash++;
        }
        AssertCount(sameHash, n / 2 - 1, (double)p * p, "pairs (2j, 2j+1) both dropped");
        AssertCount(nextHash, n / 2 - 1, (double)p * p, "pairs (2j+1, 2j+2) both dropped");
    }

    [Fact]
    public void Mask_KeysOneApartAreIndependent()
    {
        const int n = 1 << 18;
        const float p = 0.5f;
        var ones = Enumerable.Repeat(1f, n).ToArray();
        var a = new float[n]; var b = new float[n];
        DropoutMask.Apply(1000, p, ones, a, accumulate: false);
        DropoutMask.Apply(1001, p, ones, b, accumulate: false);
        AssertCount(Enumerable.Range(0, n).Count(i => a[i] == 0f && b[i] == 0f), n, p * p, "elements dropped by both keys");
    }

    [Fact]
    public void Apply_BadArguments_Throw()
    {
        Assert.Contains("p must be in [0, 1]", Assert.Throws<ArgumentException>(() => DropoutMask.Apply(0, 1.5f, new float[2], new float[2], false)).Message);
        Assert.Contains("src has 2 elements, dst 3", Assert.Throws<ArgumentException>(() => DropoutMask.Apply(0, 0.5f, new float[2], new float[3], false)).Message);
    }

    [Fact]
    public void Mix256_IsSplitMix64sFinaliser_OnEveryLane()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return; // the AVX2 form exists only where AVX2 runs
        var rng = new Random(5);
        for (int trial = 0; trial < 1000; trial++)
        {
            var z = new ulong[4];
            for (int l = 0; l < 4; l++) z[l] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
            var got = DropoutMask.Mix256(System.Runtime.Intrinsics.Vector256.Create(z));
            for (int l = 0; l < 4; l++)
            {
                ulong x = z[l];
                x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL; // SplitMix64 (Steele, Lea and Flood 2014)
                x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
                Assert.Equal(x ^ (x >> 31), got[l]);
            }
        }
    }

    private static void AssertCount(int count, int trials, double q, string what)
    {
        double mean = trials * q, sd = Math.Sqrt(trials * q * (1 - q));
        Assert.True(Math.Abs(count - mean) <= Sigmas * sd, $"{what}: {count} of {trials}, expected {mean:F0} ± {Sigmas * sd:F0}");
    }
}
