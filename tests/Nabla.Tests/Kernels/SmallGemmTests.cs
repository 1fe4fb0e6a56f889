using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The few-rows product against its naive twin (bit for bit) and against <see cref="Gemm.Naive"/>.</summary>
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
        SmallGemm.MultiplyNaive(m, n, k, a, lda, b, ldb, cn, ldc);
        Assert.Equal(cn, c); // padding columns between rows untouched too
        Gemm.Naive(false, false, m, n, k, a, lda, b, ldb, reference, ldc, 0f);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float want = reference[i * ldc + j], got = c[i * ldc + j];
                Assert.True(Math.Abs(want - got) <= RelativeTolerance * (1 + Math.Abs(want)) * k, $"C[{i},{j}] = {got}, Gemm.Naive {want}");
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
        SmallGemm.MultiplyTransposedANaive(m, n, k, a, lda, b, ldb, cn, ldc);
        Assert.Equal(cn, c);
        Gemm.Naive(true, false, m, n, k, a, lda, b, ldb, reference, ldc, 0f);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float want = reference[i * ldc + j], got = c[i * ldc + j];
                Assert.True(Math.Abs(want - got) <= RelativeTolerance * (1 + Math.Abs(want)) * k, $"C[{i},{j}] = {got}, Gemm.Naive {want}");
            }
    }

    public static IEnumerable<object[]> TransposedShapes() =>
        from m in new[] { 1, 6, 8 }
        from n in new[] { 0, 1, 2, 25, 33 }
        from k in new[] { 1, 15, 16, 17, 2352 }
        select new object[] { m, n, k };

    [Theory]
    [MemberData(nameof(TransposedShapes))]
    public void MultiplyTransposedB_MatchesNaive(int m, int n, int k)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        var a = GemmTests.Random(rng, m * lda);
        var b = GemmTests.Random(rng, Math.Max(n, 1) * ldb);
        foreach (bool accumulate in new[] { false, true })
        {
            var c = GemmTests.Random(rng, m * ldc);
            var cn = (float[])c.Clone();
            var reference = (float[])c.Clone();
            SmallGemm.MultiplyTransposedB(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            SmallGemm.MultiplyTransposedBNaive(m, n, k, a, lda, b, ldb, cn, ldc, accumulate);
            Assert.Equal(cn, c);
            Gemm.Naive(false, true, m, n, k, a, lda, b, ldb, reference, ldc, accumulate ? 1f : 0f);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float want = reference[i * ldc + j], got = c[i * ldc + j];
                    Assert.True(Math.Abs(want - got) <= RelativeTolerance * (1 + Math.Abs(want)) * k, $"C[{i},{j}] = {got}, Gemm.Naive {want}");
                }
        }
    }

    [Fact]
    public void Multiply_TooManyRows_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => SmallGemm.Multiply(9, 4, 4, new float[36], 4, new float[16], 4, new float[36], 4));
        Assert.Contains("m must be in [1, 8], got 9", ex.Message);
    }
}
