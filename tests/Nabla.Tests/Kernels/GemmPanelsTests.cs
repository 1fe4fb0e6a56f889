using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>Products on operands already in the micro-kernel's panels (Gemm.Panels.cs) against the naive twin, and
/// bit for bit against <c>Sgemm</c> on the same path, which packs the same panels itself.</summary>
[Collection(WorkersCollection.Name)]
public class GemmPanelsTests
{
    private const double SumAbsTolerance = 1e-5;

    /// <summary>Edge sizes in each dimension, partial last panels of A (rows) and B (16 and 17..31 columns), and shapes
    /// that cross the KC (256), MC (112) and NC (512) blocks.</summary>
    public static IEnumerable<(int M, int N, int K)> Shapes()
    {
        foreach (int s in new[] { 1, 7, 15, 16, 17, 31, 33, 65 })
        {
            yield return (s, 48, 40);
            yield return (40, s, 33);
            yield return (33, 64, s);
        }
        yield return (256, 288, 96);  // alexnet-mnist's 5x5 layer, one chunk: 9 full panels of 32
        yield return (96, 304, 256);  // a last panel of 16 columns
        yield return (130, 600, 300); // across KC and NC, with threads
        yield return (40, 304, 300); // across KC with a last panel of 16 columns
        yield return (14, 32, 256);
    }

    private static GemmPath[] Paths()
    {
        var paths = new List<GemmPath> { GemmPath.Direct };
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported) paths.Add(GemmPath.Avx2);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) paths.Add(GemmPath.Avx512);
        return paths.ToArray();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public unsafe void SgemmPanels_MatchesNaive_AndSgemmBitForBit(bool transA, bool transB)
    {
        var rng = new Random(transA ? 11 : 12);
        foreach (var (m, n, k) in Shapes())
            foreach (var path in Paths())
                foreach (bool accumulate in new[] { false, true })
                    foreach (bool bInPanels in new[] { false, true })
                        Check(rng, path, transA, transB, bInPanels, accumulate, m, n, k);
    }

    private static unsafe void Check(Random rng, GemmPath path, bool ta, bool tb, bool bInPanels, bool accumulate, int m, int n, int k)
    {
        int lda = ta ? m + 1 : k + 2, ldb = tb ? k + 3 : n + 1, ldc = n + 2;
        var a = GemmTests.Random(rng, (ta ? k : m) * lda);
        var b = GemmTests.Random(rng, (tb ? n : k) * ldb);
        var c0 = GemmTests.Random(rng, m * ldc);
        if (!accumulate) for (int i = 0; i < m; i++) Array.Fill(c0, float.NaN, i * ldc, n); // overwritten, never read

        var ap = new float[Gemm.PanelsALength(path, m, k)];
        Array.Fill(ap, float.NaN); // every element the product reads must be written by the packing
        var bp = new float[Gemm.PanelsBLength(path, n, k)];
        Array.Fill(bp, float.NaN);
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                bp[Gemm.PanelOffsetB(path, n, k, p, j)] = tb ? b[j * ldb + p] : b[p * ldb + j];
        // Padding columns of a partial last B panel may hold anything: they reach only discarded results.
        var fast = (float[])c0.Clone();
        fixed (float* pa = a, pb = b, pap = ap, pbp = bp, pc = fast)
        {
            Gemm.PackPanelsA(path, ta, m, k, pa, lda, pap);
            Gemm.SgemmPanels(path, m, n, k, pap, bInPanels ? pbp : null, bInPanels ? null : pb, ldb, tb, pc, ldc, accumulate);
        }

        var naive = (float[])c0.Clone();
        GemmNaive.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, naive, ldc, accumulate ? 1f : 0f);
        var mag = accumulate ? c0.Select(Math.Abs).ToArray() : new float[c0.Length];
        GemmNaive.Sgemm(ta, tb, m, n, k, a.Select(Math.Abs).ToArray(), lda, b.Select(Math.Abs).ToArray(), ldb, mag, ldc, 1f);
        string what = $"{(ta ? "T" : "N")}{(tb ? "T" : "N")} m={m} n={n} k={k} path={path} accumulate={accumulate} bPanels={bInPanels}";
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float f = fast[i * ldc + j], r = naive[i * ldc + j], g = mag[i * ldc + j];
                if (!(Math.Abs(f - r) <= SumAbsTolerance * g + 1e-30))
                    Assert.Fail($"{what}: C[{i},{j}] panels {f} naive {r} (Σ|a||b| {g})");
            }
            for (int j = n; j < ldc; j++) Assert.Equal(c0[i * ldc + j], fast[i * ldc + j]); // padding untouched
        }

        // Where Sgemm takes its packed path (not the direct loop of small products), the same panels give the same bits.
        if (path != GemmPath.Direct && m >= 8 && n >= 16 && k >= 8 && (long)m * n * k >= 32 * 32 * 32)
        {
            var reference = (float[])c0.Clone();
            Gemm.Sgemm(ta, tb, m, n, k, a, lda, b, ldb, reference, ldc, accumulate ? 1f : 0f, path);
            Assert.True(reference.AsSpan().SequenceEqual(fast), $"{what}: differs from Sgemm's bits");
        }
    }

    [Fact]
    public void PanelLayout_CoversEveryElementOnce_AndFitsTheLengths()
    {
        foreach (var path in Paths())
            foreach (var (n, k) in new[] { (1, 1), (16, 3), (17, 5), (48, 7), (304, 9), (33, 2) })
            {
                long length = Gemm.PanelsBLength(path, n, k);
                var seen = new bool[length];
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < n; j++)
                    {
                        long o = Gemm.PanelOffsetB(path, n, k, p, j);
                        Assert.InRange(o, 0, length - 1);
                        Assert.False(seen[o], $"path={path} n={n} k={k}: ({p},{j}) shares offset {o}");
                        seen[o] = true;
                    }
            }
    }
}
