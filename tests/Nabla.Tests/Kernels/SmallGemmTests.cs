using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The few-rows product against its naive twin (bit for bit) and against <see cref="GemmNaive.Sgemm"/>.</summary>
public class SmallGemmTests
{
    /// <summary>Fused and unfused multiply-adds differ by a rounding per term.</summary>
    private const float RelativeTolerance = 1e-5f;

    public static IEnumerable<object[]> Shapes() =>
        from m in new[] { 1, 3, 6, 8 }
        from n in new[] { 0, 1, 15, 16, 17, 31, 32, 33, 65, 2352 }
        from k in new[] { 1, 7, 25, 150 }
        select new object[] { m, n, k };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_MatchesNaive(int m, int n, int k)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        int lda = k + 3, ldb = n + 5, ldc = n + 2;
        var a = GemmTests.Random(rng, m * lda);
        var b = GemmTests.Random(rng, k * ldb);
        var c = GemmTests.Random(rng, m * ldc);
        var cn = (float[])c.Clone();
        var reference = (float[])c.Clone();
        SmallGemm.Multiply(m, n, k, a, lda, b, ldb, c, ldc);
        SmallGemm.MultiplyScalar(m, n, k, a, lda, b, ldb, cn, ldc);
        Assert.Equal(cn, c); // padding columns between rows untouched too
        GemmNaive.Sgemm(false, false, m, n, k, a, lda, b, ldb, reference, ldc, 0f);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float want = reference[i * ldc + j], got = c[i * ldc + j];
                Assert.True(Math.Abs(want - got) <= RelativeTolerance * (1 + Math.Abs(want)) * k, $"C[{i},{j}] = {got}, GemmNaive.Sgemm {want}");
            }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyTransposedA_MatchesNaive(int m, int n, int k)
    {
        var rng = new Random(m * 1000 + n * 10 + k + 7);
        int lda = m + 3, ldb = n + 5, ldc = n + 2;
        var a = GemmTests.Random(rng, k * lda);
        var b = GemmTests.Random(rng, k * ldb);
        var c = GemmTests.Random(rng, m * ldc);
        var cn = (float[])c.Clone();
        var reference = (float[])c.Clone();
        SmallGemm.MultiplyTransposedA(m, n, k, a, lda, b, ldb, c, ldc);
        SmallGemm.MultiplyTransposedAScalar(m, n, k, a, lda, b, ldb, cn, ldc);
        Assert.Equal(cn, c);
        GemmNaive.Sgemm(true, false, m, n, k, a, lda, b, ldb, reference, ldc, 0f);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float want = reference[i * ldc + j], got = c[i * ldc + j];
                Assert.True(Math.Abs(want - got) <= RelativeTolerance * (1 + Math.Abs(want)) * k, $"C[{i},{j}] = {got}, GemmNaive.Sgemm {want}");
            }
    }

    public static IEnumerable<object[]> TransposedShapes() =>
        from m in new[] { 1, 6, 8 }
        from n in new[] { 0, 1, 2, 25, 33 }
        from k in new[] { 1, 15, 16, 17, 2352 }
        select new object[] { m, n, k };

    [Theory]
    [MemberData(nameof(TransposedShapes))]
    public void MultiplyTransposedB_MatchesNaive(int m, int n, int k) =>
        AssertTransposedBMatches(m, n, k, m * 1000 + n * 10 + k, SmallGemm.MultiplyTransposedB, SmallGemm.MultiplyTransposedBScalar);

    private delegate void TransposedB(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate);

    /// <summary>C (+)= A·Bᵀ by <paramref name="fast"/> against <paramref name="naive"/> (bit for bit, the padding between
    /// C's rows untouched too) and against GemmNaive.Sgemm, overwriting and accumulating.</summary>
    private static void AssertTransposedBMatches(int m, int n, int k, int seed, TransposedB fast, TransposedB naive)
    {
        var rng = new Random(seed);
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        var a = GemmTests.Random(rng, m * lda);
        var b = GemmTests.Random(rng, Math.Max(n, 1) * ldb);
        foreach (bool accumulate in new[] { false, true })
        {
            var c = GemmTests.Random(rng, m * ldc);
            var cn = (float[])c.Clone();
            var reference = (float[])c.Clone();
            fast(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            naive(m, n, k, a, lda, b, ldb, cn, ldc, accumulate);
            Assert.Equal(cn, c);
            GemmNaive.Sgemm(false, true, m, n, k, a, lda, b, ldb, reference, ldc, accumulate ? 1f : 0f);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float want = reference[i * ldc + j], got = c[i * ldc + j];
                    Assert.True(Math.Abs(want - got) <= RelativeTolerance * (1 + Math.Abs(want)) * Math.Max(k, 1), $"C[{i},{j}] = {got}, GemmNaive.Sgemm {want}");
                }
        }
    }

    public static IEnumerable<object[]> PanelShapes() =>
        from m in new[] { 1, 3, 4, 5, 6, 8, 9, 16 }
        from n in new[] { 0, 1, 15, 16, 17, 31, 150 }
        from k in new[] { 0, 1, 2, 6, 15, 16, 33, 1600 }
        select new object[] { m, n, k };

    /// <summary>The lane-panel kernel against its twin (bit for bit) and GemmNaive.Sgemm, for every chain count (m ≤ 4 and
    /// k a multiple of 4; m ≤ 8 and k even; else one chain), fewer rows of B than a tile, and an overlapping last tile.</summary>
    [Theory]
    [MemberData(nameof(PanelShapes))]
    public void MultiplyTransposedBPanel_MatchesNaive(int m, int n, int k) =>
        AssertTransposedBMatches(m, n, k, m * 100000 + n * 100 + k, SmallGemm.MultiplyTransposedBPanel, SmallGemm.MultiplyTransposedBPanelScalar);

    [Theory]
    [InlineData(4, 8, 4)]
    [InlineData(4, 6, 2)]
    [InlineData(8, 6, 2)]
    [InlineData(8, 7, 1)]
    [InlineData(9, 8, 1)]
    [InlineData(16, 1600, 1)]
    public void ChainsFor_FillsOneVector(int m, int k, int chains) => Assert.Equal(chains, SmallGemm.ChainsFor(m, k));

    [Fact]
    public void DotChains_SplitsByResidue()
    {
        float[] x = [1f, 2f, 3f, 4f, 5f], y = [1e8f, 1f, -1e8f, 1f, 1f];
        // Two chains: (1e8 − 3e8 + 5) and (2 + 4); one chain rounds 1e8 + 2 away.
        Assert.Equal(MathF.FusedMultiplyAdd(5f, 1f, MathF.FusedMultiplyAdd(3f, -1e8f, 1e8f)) + 6f, SmallGemm.DotChains(x, y, 2));
        Assert.Equal(MathF.FusedMultiplyAdd(5f, 1f, MathF.FusedMultiplyAdd(4f, 1f, MathF.FusedMultiplyAdd(3f, -1e8f, MathF.FusedMultiplyAdd(2f, 1f, 1e8f)))), SmallGemm.DotChains(x, y, 1));
    }

    [Fact]
    public void MultiplyTransposedBPanel_TooManyRows_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => SmallGemm.MultiplyTransposedBPanel(17, 4, 4, new float[68], 4, new float[16], 4, new float[68], 4, false));
        Assert.Contains("m must be in [1, 16], got 17", ex.Message);
    }

    [Fact]
    public void Multiply_TooManyRows_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => SmallGemm.Multiply(9, 4, 4, new float[36], 4, new float[16], 4, new float[36], 4));
        Assert.Contains("m must be in [1, 8], got 9", ex.Message);
    }
}
