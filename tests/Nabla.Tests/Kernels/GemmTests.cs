using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>Sgemm against its naive twin over many shapes, on every path this machine can run.</summary>
[Collection(WorkersCollection.Name)]
public class GemmTests
{
    /// <summary>Allowed |fast − naive| per element, relative to Σ_p |a_ip|·|b_pj| (+ |C_old| when accumulating):
    /// a few hundred float ulps of the magnitude, since the two sum in different orders and the fast one fuses.</summary>
    private const double SumAbsTolerance = 1e-5;

    private static readonly int[] EdgeSizes = [0, 1, 7, 15, 17, 31, 33, 63, 65, 127, 129];

    /// <summary>Each edge size in each of m, n, k (the others fixed at awkward values), plus shapes that cross
    /// the KC (256), MC (112) and NC (512) block boundaries.</summary>
    public static IEnumerable<(int M, int N, int K)> Shapes()
    {
        foreach (int s in EdgeSizes)
        {
            yield return (s, 33, 65);
            yield return (65, s, 33);
            yield return (33, 65, s);
        }
        yield return (129, 129, 129);
        yield return (130, 70, 600);
        yield return (40, 1100, 20);
        yield return (14, 32, 256);
    }

    /// <summary>Every path this machine can run: the direct loop, AVX2 and (where present) AVX-512 micro-kernels.</summary>
    private static GemmPath[] Paths()
    {
        var paths = new List<GemmPath> { GemmPath.Direct };
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported) paths.Add(GemmPath.Avx2);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) paths.Add(GemmPath.Avx512);
        return paths.ToArray();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Sgemm_MatchesNaive_AllShapesBetasAndPaths(bool ta, bool tb)
    {
        var rng = new Random(ta ? 6 : 7);
        foreach (var (m, n, k) in Shapes())
            foreach (float beta in new[] { 0f, 1f })
                CheckOne(rng, ta, tb, m, n, k, beta, pad: (m + n + k) % 3 + 1);
    }

    [Fact]
    public void Sgemm_ScalesC_WhenBetaIsNeitherZeroNorOne()
    {
        var rng = new Random(8);
        CheckOne(rng, false, true, 50, 70, 40, 0.5f, pad: 2);
        CheckOne(rng, true, false, 5, 9, 3, -2f, pad: 0);
    }

    [Fact]
    public void Sgemm_PropagatesNaN_LikeBlas_EvenWhenTheOtherFactorIsZero()
    {
        foreach (var (m, n, k) in new[] { (3, 4, 5), (64, 64, 64) })
        {
            var a = new float[m * k];
            var b = new float[k * n];
            a[k + 2] = float.NaN; // row 1 of A; B is all zeros
            var fast = new float[m * n];
            var naive = new float[m * n];
            Gemm.Sgemm(false, false, m, n, k, a, k, b, n, fast, n, 0f);
            GemmNaive.Sgemm(false, false, m, n, k, a, k, b, n, naive, n, 0f);
            for (int j = 0; j < n; j++)
            {
                Assert.True(float.IsNaN(fast[n + j]), $"fast C[1,{j}] for {m}x{n}x{k}");
                Assert.True(float.IsNaN(naive[n + j]), $"naive C[1,{j}] for {m}x{n}x{k}");
                Assert.Equal(0f, fast[j]);
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Sgemm_IsBitIdentical_ForOneAndTwoThreads(bool ta, bool tb)
    {
        // Large enough to be split over threads, both along n (wide) and along m (tall), and along n although m has
        // more tiles (a linear layer's forward: m <= n, so splitting n repacks the smaller operand).
        foreach (var (m, n, k) in new[] { (150, 700, 300), (900, 40, 200), (64, 128, 1200) })
        {
            var rng = new Random(m + n + k);
            var a = Random(rng, m * k);
            var b = Random(rng, k * n);
            var c0 = Random(rng, m * n);
            int lda = ta ? m : k, ldb = tb ? k : n;
            float[] Run(int threads)
            {
                return WithThreads.Run<float[]>(threads, () =>
                {
                    var c = (float[])c0.Clone();
                    Gemm.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, n, 1f);
                    return c;
                });
            }
            Assert.Equal(Run(1), Run(2));
        }
    }

    /// <summary>Packing buffers are per thread and reused; one-off growth of the pool's bookkeeping is all we allow.</summary>
    private const long OneOffAllocationBytes = 1024;

    [Fact]
    public void Sgemm_InSteadyState_AllocatesNothingPerCall()
    {
        var rng = new Random(9);
        var shapes = new[] { (64, 512, 784, false, true), (300, 200, 100, true, false), (5, 40, 30, false, false), (200, 700, 150, false, false) };
        var operands = shapes.Select(s => (Random(rng, s.Item1 * s.Item3), Random(rng, s.Item3 * s.Item2), new float[s.Item1 * s.Item2])).ToArray();
        void All()
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                var (m, n, k, ta, tb) = shapes[i];
                var (a, b, c) = operands[i];
                Gemm.Sgemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n, 1f);
            }
        }
        for (int warm = 0; warm < 5; warm++) All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < 20; rep++) All();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < OneOffAllocationBytes, $"{allocated} bytes for 80 products");
    }

    [Fact]
    public void Sgemm_RejectsShortSpansAndSmallLeadingDimensions()
    {
        var a = new float[12];
        var c = new float[9];
        Gemm.Sgemm(false, false, 3, 3, 4, a, 4, a, 3, c, 3, 0f); // exactly enough everywhere
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 3, 4, a, 3, a, 3, c, 3, 0f));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 4, 4, a, 4, a, 4, c, 4, 0f));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, -1, 3, 4, a, 4, a, 3, c, 3, 0f));
    }

    /// <summary>Sgemm on every path against Naive, elementwise within SumAbsTolerance · (|A|·|B| + |beta·C|).</summary>
    private static void CheckOne(Random rng, bool ta, bool tb, int m, int n, int k, float beta, int pad)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = Random(rng, Math.Max(0, (ta ? k : m) * lda));
        var b = Random(rng, Math.Max(0, (tb ? n : k) * ldb));
        var c0 = beta == 0f ? Filled(m * ldc, float.NaN) : Random(rng, m * ldc);
        var naive = (float[])c0.Clone();
        GemmNaive.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, naive, ldc, beta);
        // Magnitudes: the same product on absolute values (the inputs lie in [-1, 1], so float suffices).
        var mag = beta == 0f ? new float[c0.Length] : c0.Select(v => Math.Abs(beta * v)).ToArray();
        GemmNaive.Sgemm(ta, tb, m, n, k, a.Select(Math.Abs).ToArray(), lda, b.Select(Math.Abs).ToArray(), ldb, mag, ldc, 1f);
        foreach (var path in Paths())
        {
            var fast = (float[])c0.Clone();
            Gemm.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, fast, ldc, beta, path);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float f = fast[i * ldc + j], r = naive[i * ldc + j], g = mag[i * ldc + j];
                    if (!(Math.Abs(f - r) <= SumAbsTolerance * g + 1e-30))
                        Assert.Fail($"{(ta ? "T" : "N")}{(tb ? "T" : "N")} m={m} n={n} k={k} beta={beta} path={path}: " +
                                    $"C[{i},{j}] fast {f} naive {r} (Σ|a||b| {g})");
                }
                // Padding between rows of C is not ours to touch.
                for (int j = n; j < ldc; j++)
                    Assert.Equal(c0[i * ldc + j], fast[i * ldc + j]);
            }
        }
    }

    internal static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static float[] Filled(int length, float value)
    {
        var x = new float[length];
        Array.Fill(x, value);
        return x;
    }
}
