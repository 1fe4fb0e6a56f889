using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>Which micro-kernel <see cref="Gemm.Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/> uses; tests ask for the narrower ones through the internal
/// overload of <see cref="Gemm.Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/> that takes a path.</summary>
internal enum GemmPath { Avx512, Avx2, Direct }

public static partial class Gemm
{
    // Blocking (BLIS loop order jc -> pc -> ic -> ir -> jr). KC x NC of packed B stays in L2 while the
    // MR x KC micro-panel of packed A is reused from L1 across the jr loop.
    private const int KC = 256;
    private const int NC = 512;
    private const int MC = 112;
    // Below this many flops a product is not worth waking the second thread for.
    private const long ParallelMinFlops = 1L << 22;

    /// <summary>The widest path this machine runs (what <see cref="Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/> takes).</summary>
    internal static GemmPath HardwarePath => Avx512F.IsSupported ? GemmPath.Avx512
        : Fma.IsSupported && Avx2.IsSupported ? GemmPath.Avx2
        : GemmPath.Direct;

    private static bool UseDirect(GemmPath path, int m, int n, int k) =>
        path == GemmPath.Direct || m < 8 || n < 16 || k < 8 || (long)m * n * k < 32 * 32 * 32;

    private static unsafe void Packed(in Job job)
    {
        var path = job.Path;
        int mr = PanelRows(path, job.M), nr = PanelCols(path);
        int tilesM = (job.M + mr - 1) / mr, tilesN = (job.N + nr - 1) / nr;
        // Each part packs all of the operand it does not split: splitting N repacks A (m x k) in every part,
        // splitting M repacks B (k x n). So split N when it has the tiles, or when A is the smaller operand and
        // N still has a tile for every thread (a linear layer's forward: m = 64 rows, n = 128 outputs, k = 9216).
        // Every element is computed the same way in any part, so neither the split nor the thread count changes
        // the numbers.
        bool splitN = tilesN >= tilesM || tilesN >= 16 || (job.M <= job.N && tilesN >= Workers.Count);
        int tiles = splitN ? tilesN : tilesM;
        int parts = 2.0 * job.M * job.N * job.K < ParallelMinFlops ? 1 : Math.Min(Workers.Count, tiles);
        if (parts <= 1)
        {
            Block(in job, path, mr, nr, 0, job.M, 0, job.N);
            return;
        }
        Workers.Run(parts, new Split(job, path, mr, nr, splitN, tiles, parts), static (s, i) =>
        {
            int t0 = (int)((long)s.Tiles * i / s.Parts), t1 = (int)((long)s.Tiles * (i + 1) / s.Parts);
            if (s.SplitN)
                Block(s.Job, s.Path, s.Mr, s.Nr, 0, s.Job.M, t0 * s.Nr, Math.Min(s.Job.N, t1 * s.Nr));
            else
                Block(s.Job, s.Path, s.Mr, s.Nr, t0 * s.Mr, Math.Min(s.Job.M, t1 * s.Mr), 0, s.Job.N);
        });
    }

    private readonly record struct Split(Job Job, GemmPath Path, int Mr, int Nr, bool SplitN, int Tiles, int Parts);

    /// <summary>C[i0..i1, j0..j1] by the blocked loops, on the calling thread.</summary>
    private static unsafe void Block(in Job job, GemmPath path, int mr, int nr, int i0, int i1, int j0, int j1)
    {
        int mcMax = (MC + mr - 1) / mr * mr;
        float* ap = Scratch(mcMax * KC + KC * NC + mr * nr);
        float* bp = ap + mcMax * KC;
        float* tile = bp + KC * NC;
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < job.K; pc += KC)
            {
                int kc = Math.Min(KC, job.K - pc);
                if (job.BPanels == null) PackB(in job, pc, kc, jc, nc, nr, EdgeWidth(path, nr, nc % nr), bp);
                bool accumulate = job.Accumulate || pc > 0;
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, i1 - ic);
                    if (job.APanels == null) PackA(in job, ic, mc, pc, kc, mr, ap);
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        // A panel of whole rows of op(A): this block's kc columns start at column pc (stride mr).
                        float* a = job.APanels != null ? job.APanels + (long)(ic + ir) * job.K + (long)pc * mr : ap + ir * kc;
                        float* crow = job.C + (long)(ic + ir) * job.Ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            int width = cols == nr ? nr : EdgeWidth(path, nr, cols);
                            float* b = job.BPanels != null ? job.BPanels + (long)(jc + jr) * job.K + (long)pc * width : bp + jr * kc;
                            if (rows == mr && cols == width)
                            {
                                MicroKernel(path, mr, width, kc, a, b, crow + jr, job.Ldc, accumulate);
                            }
                            else
                            {
                                // Edge tile: the same kernel into scratch, then the same add (or copy) into C.
                                MicroKernel(path, mr, width, kc, a, b, tile, width, false);
                                MergeTile(tile, width, crow + jr, job.Ldc, rows, cols, accumulate);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// 14-row tiles use 28 of the 32 registers for accumulators; 8-row tiles run a little below them but waste
    /// no rows when m is 16, 32 or 64 (conv layers with few output channels). Pick the one that pads less.
    /// </summary>
    private static int RowsPerTile512(int m)
    {
        long padded14 = (m + 13) / 14 * 14L, padded8 = (m + 7) / 8 * 8L;
        return padded8 * 21 < padded14 * 20 ? 8 : 14; // 8-row tiles must win by 5 %
    }

    /// <summary>The packed width of a last panel of <paramref name="cols"/> columns: half a panel when that
    /// covers it (AVX-512 has 16-column kernels), else a full zero-padded panel. 0 means no partial panel.</summary>
    private static int EdgeWidth(GemmPath path, int nr, int cols) =>
        cols == 0 ? 0 : path == GemmPath.Avx512 && cols <= 16 ? 16 : nr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MicroKernel(GemmPath path, int mr, int width, int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        if (path == GemmPath.Direct) KernelScalar(mr, width, kc, a, b, c, ldc, accumulate); // reached only with panels
        else if (path != GemmPath.Avx512) Kernel256x6(kc, a, b, c, ldc, accumulate);
        else if (width == 32)
        {
            if (mr == 14) Kernel512x14(kc, a, b, c, ldc, accumulate);
            else Kernel512x8(kc, a, b, c, ldc, accumulate);
        }
        else
        {
            if (mr == 14) Kernel512x14n16(kc, a, b, c, ldc, accumulate);
            else Kernel512x8n16(kc, a, b, c, ldc, accumulate);
        }
    }

    private static unsafe void MergeTile(float* tile, int ldt, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* t = tile + r * ldt, d = c + (long)r * ldc;
            if (accumulate) for (int j = 0; j < cols; j++) d[j] += t[j];
            else for (int j = 0; j < cols; j++) d[j] = t[j];
        }
    }

    /// <summary>op(A)[ic..ic+mc, pc..pc+kc] into micro-panels of mr rows: panel[p * mr + r], zero-padded.</summary>
    private static unsafe void PackA(in Job job, int ic, int mc, int pc, int kc, int mr, float* dst)
    {
        int lda = job.Lda;
        for (int ir = 0; ir < mc; ir += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            if (!job.TransA)
            {
                // Row-at-a-time reads are strided by lda; walking p outside keeps the writes contiguous
                // and the reads to mr sequential streams.
                float* src = job.A + (long)(ic + ir) * lda + pc;
                int p = 0;
                if (rows == mr && mr <= 16 && Avx512F.IsSupported)
                    for (; p + 16 <= kc; p += 16)
                        Transpose16(src + p, lda, mr, dst + p * mr, mr);
                else if (rows == mr && mr == 6 && Avx2.IsSupported) // the AVX2 path's panels
                    for (; p + 8 <= kc; p += 8)
                        Pack6x8Avx2(src + p, lda, dst + p * mr);
                for (; p < kc; p++)
                {
                    float* d = dst + p * mr;
                    for (int r = 0; r < rows; r++) d[r] = src[(long)r * lda + p];
                    for (int r = rows; r < mr; r++) d[r] = 0f;
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = job.A + (long)(pc + p) * lda + ic + ir;
                    float* d = dst + p * mr;
                    for (int r = 0; r < rows; r++) d[r] = src[r];
                    for (int r = rows; r < mr; r++) d[r] = 0f;
                }
            }
        }
    }

    /// <summary>op(B)[pc..pc+kc, jc..jc+nc] into micro-panels of nr columns: panel[p * nr + j], zero-padded;
    /// a partial last panel is <paramref name="edgeWidth"/> columns wide.</summary>
    private static unsafe void PackB(in Job job, int pc, int kc, int jc, int nc, int fullWidth, int edgeWidth, float* dst)
    {
        int ldb = job.Ldb;
        for (int jr = 0; jr < nc; jr += fullWidth, dst += fullWidth * kc)
        {
            int cols = Math.Min(fullWidth, nc - jr);
            int nr = cols == fullWidth ? fullWidth : edgeWidth;
            if (!job.TransB)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = job.B + (long)(pc + p) * ldb + jc + jr;
                    float* d = dst + p * nr;
                    if (cols == nr) Buffer.MemoryCopy(src, d, nr * sizeof(float), nr * sizeof(float));
                    else
                    {
                        for (int j = 0; j < cols; j++) d[j] = src[j];
                        for (int j = cols; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                float* src = job.B + (long)(jc + jr) * ldb + pc;
                int p = 0;
                if (cols == nr && nr % 16 == 0 && Avx512F.IsSupported)
                    for (; p + 16 <= kc; p += 16)
                        for (int h = 0; h < nr; h += 16)
                            Transpose16(src + (long)h * ldb + p, ldb, 16, dst + p * nr + h, nr);
                else if (cols == nr && nr % 8 == 0 && Avx2.IsSupported)
                    for (; p + 8 <= kc; p += 8)
                        for (int h = 0; h < nr; h += 8)
                            Vector16.Transpose8(src + (long)h * ldb + p, ldb, dst + p * nr + h, nr);
                for (; p < kc; p++)
                {
                    float* d = dst + p * nr;
                    for (int j = 0; j < cols; j++) d[j] = src[(long)j * ldb + p];
                    for (int j = cols; j < nr; j++) d[j] = 0f;
                }
            }
        }
    }

    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>A per-thread, pinned, 64-byte-aligned buffer of at least <paramref name="floats"/> floats, reused across calls.</summary>
    private static unsafe float* Scratch(int floats)
    {
        var buf = t_scratch;
        if (buf is null || buf.Length < floats + 16)
            t_scratch = buf = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
        return (float*)((p + 63) & ~(nint)63);
    }
}
