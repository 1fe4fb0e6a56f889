using System.Runtime.CompilerServices;

namespace Nabla.Kernels;

/// <summary>
/// Products whose operands are already in the micro-kernel's panels, for callers that use one operand many times
/// (Winograd's transformed weights, once per chunk of images) or can write it in that layout as they compute it
/// (Winograd's transformed inputs): the blocked loops of <see cref="Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/>
/// read them in place instead of packing them again.
/// </summary>
/// <remarks>
/// The layouts cover the whole of an operand, so any k-block of them is contiguous:
/// <list type="bullet">
/// <item>A (m x k) in <see cref="PanelRows"/>-row panels: panel <c>i / mr</c> at <c>(i / mr)·mr·k</c>, element (i, p) at
/// <c>p·mr + i mod mr</c> inside it; rows past m are zero.</item>
/// <item>B (k x n) in <see cref="PanelCols"/>-column panels: panel <c>j / nr</c> at <c>(j / nr)·nr·k</c>, element (p, j)
/// at <c>p·width + j mod nr</c> inside it, width nr for every panel but a last partial one, whose width is
/// <see cref="PanelWidthB"/> (padding columns may hold anything: they reach only discarded results).</item>
/// </list>
/// Every element of C is then computed by the same operations, in the same order, as by <c>Sgemm</c> on the packed
/// path of the same <see cref="GemmPath"/>, whatever the thread count.
/// </remarks>
public static partial class Gemm
{
    /// <summary>Rows of an A panel for an m-row product on <paramref name="path"/>.</summary>
    internal static int PanelRows(GemmPath path, int m) => path == GemmPath.Avx512 ? RowsPerTile512(m) : 6;

    /// <summary>Columns of a full B panel on <paramref name="path"/>.</summary>
    internal static int PanelCols(GemmPath path) => path == GemmPath.Avx512 ? 32 : 16;

    /// <summary>The stored width of the B panel holding column <paramref name="j"/> of an n-column operand.</summary>
    internal static int PanelWidthB(GemmPath path, int n, int j)
    {
        int nr = PanelCols(path), j0 = j / nr * nr;
        return j0 + nr <= n ? nr : EdgeWidth(path, nr, n - j0);
    }

    /// <summary>Floats of an m x k operand A in panels.</summary>
    internal static long PanelsALength(GemmPath path, int m, int k)
    {
        int mr = PanelRows(path, m);
        return (long)((m + mr - 1) / mr) * mr * k;
    }

    /// <summary>Floats of a k x n operand B in panels.</summary>
    internal static long PanelsBLength(GemmPath path, int n, int k)
    {
        int nr = PanelCols(path);
        return ((long)n / nr * nr + EdgeWidth(path, nr, n % nr)) * k;
    }

    /// <summary>Where element (p, j) of a k x n operand B lies in its panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long PanelOffsetB(GemmPath path, int n, int k, int p, int j)
    {
        int nr = PanelCols(path), j0 = j / nr * nr;
        return (long)j0 * k + (long)p * PanelWidthB(path, n, j) + (j - j0);
    }

    /// <summary>Packs op(A) (m x k; stored k x m when <paramref name="transA"/>) into A panels at <paramref name="dst"/>
    /// (<see cref="PanelsALength"/> floats), on the calling thread.</summary>
    internal static unsafe void PackPanelsA(GemmPath path, bool transA, int m, int k, float* a, int lda, float* dst)
    {
        if (m <= 0 || k <= 0) return;
        var job = new Job(transA, false, m, 0, k, a, lda, null, 0, null, 0, false, path);
        int mr = PanelRows(path, m);
        for (int i = 0; i < m; i += mr)
            PackA(in job, i, Math.Min(mr, m - i), 0, k, mr, dst + (long)i * k);
    }

    /// <summary><c>C (+)= A·B</c> (m x n, leading dimension <paramref name="ldc"/>) with A in panels and B either in
    /// panels (<paramref name="bPanels"/>) or row-major op(B) at <paramref name="b"/> (stored n x k when
    /// <paramref name="transB"/>; leading dimension <paramref name="ldb"/>), packed as usual. The operands are
    /// trusted: callers size them with <see cref="PanelsALength"/> and <see cref="PanelsBLength"/>.</summary>
    internal static unsafe void SgemmPanels(GemmPath path, int m, int n, int k, float* aPanels,
        float* bPanels, float* b, int ldb, bool transB, float* c, int ldc, bool accumulate)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        var job = new Job(false, transB, m, n, k, null, 0, b, ldb, c, ldc, accumulate, path, aPanels, bPanels);
        Packed(in job);
    }

    /// <summary>The micro-kernel of <see cref="GemmPath.Direct"/> for products on panels: one fused multiply-add per
    /// element and step, as the vector kernels do.</summary>
    private static unsafe void KernelScalar(int mr, int width, int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < width; j++)
            {
                float sum = 0f;
                for (int p = 0; p < kc; p++) sum = MathF.FusedMultiplyAdd(a[p * mr + r], b[p * width + j], sum);
                float* d = c + (long)r * ldc + j;
                *d = accumulate ? *d + sum : sum;
            }
    }
}
