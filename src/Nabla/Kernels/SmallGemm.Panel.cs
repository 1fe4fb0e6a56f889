using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class SmallGemm
{
    /// <summary>The number of chains each element of <see cref="MultiplyTransposedBPanel"/> is summed in: 4 when A has at
    /// most 4 rows and k is a multiple of 4, 2 when it has at most 8 and k is even, else 1 (so that m·chains lanes fit
    /// one vector).</summary>
    public static int ChainsFor(int m, int k) => m <= 4 && k % 4 == 0 ? 4 : m <= 8 && k % 2 == 0 ? 2 : 1;

    /// <summary>C (m x n, ldc) = (or +=, with <paramref name="accumulate"/>) A (m x k, lda) · Bᵀ, B stored n x k (ldb):
    /// a convolution's weight gradient dY·colsᵀ with few output channels (A = dY, B = the columns, k = positions).</summary>
    /// <remarks>
    /// A is packed once into a panel whose 16 lanes hold, for each step of L = <see cref="ChainsFor"/> consecutive p,
    /// A's m rows at those p (lane i·L + l is A[i, q·L + l]). Each row of B is then read once, as broadcasts of its L
    /// values at that step, against the panel: 16 rows of B at a time in 16 vector accumulators (outer products; B is
    /// neither packed nor transposed). Each element is L fused multiply-add chains, chain l over p ≡ l (mod L) in
    /// increasing p, added in l order (<see cref="DotChains"/>): the same bits as <see cref="MultiplyTransposedBPanelScalar"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">m outside [1, <see cref="MaxMPanel"/>], a leading dimension too small or a span too short.</exception>
    public static void MultiplyTransposedBPanel(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        if (IsAccelerated) PanelVectors(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        else MultiplyTransposedBPanelScalar(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    /// <summary>The AVX-512 body of <see cref="MultiplyTransposedBPanel"/>: the panel, then the tiles of B.</summary>
    private static unsafe void PanelVectors(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckTransposed(m, MaxMPanel, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (n == 0) return;
        int chains = ChainsFor(m, k), steps = k / chains;
        var panel = Rent(ref t_panel, steps * 16);
        fixed (float* pa = a, pb = b, pc = c, pp = panel)
        {
            Pack(m, k, chains, pa, lda, pp);
            float* rowsB = pb;
            nint ld = ldb;
            if (n < 16) // fewer rows of B than one tile: copy them into a zero-padded tile
            {
                var tile = Rent(ref t_tile, 16 * Math.Max(k, 1));
                fixed (float* pt = tile)
                {
                    for (int j = 0; j < n; j++) Buffer.MemoryCopy(pb + (long)j * ldb, pt + (long)j * k, (long)k * 4, (long)k * 4);
                    new Span<float>(pt + (long)n * k, (16 - n) * k).Clear();
                    Tiles(m, n, 16, chains, steps, pp, pt, k, pc, ldc, accumulate);
                }
                return;
            }
            Tiles(m, n, n, chains, steps, pp, rowsB, ld, pc, ldc, accumulate);
        }
    }

    /// <summary>Every tile of 16 rows of B; the last starts at <paramref name="rowsB"/> − 16 and overlaps the one
    /// before it (its repeated rows are computed again, to the same bits, and not stored twice).</summary>
    private static unsafe void Tiles(int m, int n, int rowsB, int chains, int steps, float* panel, float* b, nint ldb, float* c, int ldc, bool accumulate)
    {
        float* sums = stackalloc float[16 * 16];
        for (int done = 0; done < n;)
        {
            int j = Math.Min(done, rowsB - 16);
            float* rows = b + j * ldb;
            if (chains == 4) Tile<Chains4>(steps, panel, rows, ldb, sums);
            else if (chains == 2) Tile<Chains2>(steps, panel, rows, ldb, sums);
            else Tile<Chains1>(steps, panel, rows, ldb, sums);
            int end = Math.Min(n, j + 16);
            for (int r = done - j; r < end - j; r++)
                for (int i = 0; i < m; i++)
                {
                    float* lanes = sums + r * 16 + i * chains;
                    float t = lanes[0];
                    for (int l = 1; l < chains; l++) t += lanes[l];
                    float* d = c + (long)i * ldc + j + r;
                    *d = accumulate ? *d + t : t;
                }
            done = end;
        }
    }

    /// <summary>panel[q·16 + i·L + l] = a[i, q·L + l] for i &lt; m; the other lanes zero. Blocks of 16 columns of A are
    /// transposed in registers (<see cref="Winograd.Transpose16"/>: row p of the block holds column p of A's rows); with
    /// L = 2 or 4, L consecutive rows of the block are then interleaved into one panel row; a last partial block is
    /// copied one float at a time.</summary>
    private static unsafe void Pack(int m, int k, int chains, float* a, int lda, float* panel)
    {
        var blk = stackalloc Vector512<float>[16];
        var pairs = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var quads = Vector512.Create(0L, 8, 1, 9, 2, 10, 3, 11);
        int p0 = 0;
        for (; p0 + 16 <= k; p0 += 16)
        {
            for (int i = 0; i < 16; i++) blk[i] = i < m ? Vector512.Load(a + (long)i * lda + p0) : Vector512<float>.Zero;
            Winograd.Transpose16(blk);
            float* dst = panel + p0 / chains * 16;
            if (chains == 1)
                for (int p = 0; p < 16; p++) blk[p].Store(dst + p * 16);
            else if (chains == 2)
                for (int q = 0; q < 8; q++) Avx512F.PermuteVar16x32x2(blk[2 * q], pairs, blk[2 * q + 1]).Store(dst + q * 16);
            else
                for (int q = 0; q < 4; q++)
                {
                    var lo = Avx512F.PermuteVar16x32x2(blk[4 * q], pairs, blk[4 * q + 1]).AsDouble();     // lane 2i + l: l = 0, 1
                    var hi = Avx512F.PermuteVar16x32x2(blk[4 * q + 2], pairs, blk[4 * q + 3]).AsDouble(); // l = 2, 3
                    Avx512F.PermuteVar8x64x2(lo, quads, hi).AsSingle().Store(dst + q * 16);
                }
        }
        for (int q = p0 / chains; q < k / chains; q++) // the last columns (k − p0 < 16, a multiple of L)
        {
            float* dst = panel + q * 16;
            for (int lane = 0; lane < 16; lane++)
                dst[lane] = lane < m * chains ? a[(long)(lane / chains) * lda + q * chains + lane % chains] : 0f;
        }
    }

    /// <summary>16 rows of B (from <paramref name="b"/>, ldb apart) against the panel: sums[r·16 + lane] = Σ_q
    /// broadcast(B[r], q)[lane] · panel[q][lane], one fused multiply-add per step in q order. Rows are reached from four
    /// group pointers with scaled-index addresses, so the loop needs no register per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile<T>(int steps, float* panel, float* b, nint ldb, float* sums) where T : struct, IChains
    {
        nint ld3 = 3 * ldb;
        float* g0 = b, g1 = b + 4 * ldb, g2 = b + 8 * ldb, g3 = b + 12 * ldb;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
        for (int q = 0; q < steps; q++)
        {
            var v = Vector512.Load(panel + q * 16);
            Rows4<T>(g0, ldb, ld3, v, ref s0, ref s1, ref s2, ref s3);
            Rows4<T>(g1, ldb, ld3, v, ref s4, ref s5, ref s6, ref s7);
            Rows4<T>(g2, ldb, ld3, v, ref s8, ref s9, ref s10, ref s11);
            Rows4<T>(g3, ldb, ld3, v, ref s12, ref s13, ref s14, ref s15);
            g0 += T.L; g1 += T.L; g2 += T.L; g3 += T.L;
        }
        s0.Store(sums); s1.Store(sums + 16); s2.Store(sums + 32); s3.Store(sums + 48);
        s4.Store(sums + 64); s5.Store(sums + 80); s6.Store(sums + 96); s7.Store(sums + 112);
        s8.Store(sums + 128); s9.Store(sums + 144); s10.Store(sums + 160); s11.Store(sums + 176);
        s12.Store(sums + 192); s13.Store(sums + 208); s14.Store(sums + 224); s15.Store(sums + 240);
    }

    /// <summary>One step of four rows of B (a group: <paramref name="g"/>, ldb apart) against the panel vector
    /// <paramref name="v"/>. Inlined into <see cref="Tile{T}"/>, so the accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Rows4<T>(float* g, nint ldb, nint ld3, Vector512<float> v, ref Vector512<float> s0, ref Vector512<float> s1,
        ref Vector512<float> s2, ref Vector512<float> s3) where T : struct, IChains
    {
        s0 = Vector512.FusedMultiplyAdd(T.Broadcast(g), v, s0);
        s1 = Vector512.FusedMultiplyAdd(T.Broadcast(g + ldb), v, s1);
        s2 = Vector512.FusedMultiplyAdd(T.Broadcast(g + 2 * ldb), v, s2);
        s3 = Vector512.FusedMultiplyAdd(T.Broadcast(g + ld3), v, s3);
    }

    /// <summary>How a row of B is broadcast against the panel: L consecutive values, repeated over the 16 lanes.</summary>
    private interface IChains
    {
        static abstract int L { get; }
        static abstract unsafe Vector512<float> Broadcast(float* p);
    }

    private readonly struct Chains1 : IChains
    {
        public static int L => 1;
        public static unsafe Vector512<float> Broadcast(float* p) => Vector512.Create(*p);
    }

    private readonly struct Chains2 : IChains
    {
        public static int L => 2;
        public static unsafe Vector512<float> Broadcast(float* p) => Vector512.Create(Unsafe.ReadUnaligned<double>(p)).AsSingle();
    }

    private readonly struct Chains4 : IChains
    {
        public static int L => 4;
        public static unsafe Vector512<float> Broadcast(float* p) => Avx512F.BroadcastVector128ToVector512(p);
    }

    [ThreadStatic] private static float[]? t_panel, t_tile;

    private static float[] Rent(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[Math.Max(length, 1024)];
        return buffer;
    }

    /// <summary>The scalar fallback of <see cref="MultiplyTransposedBPanel"/> without AVX-512 (and its twin in the tests): each element by <see cref="DotChains"/> with
    /// <see cref="ChainsFor"/>(m, k) chains.</summary>
    /// <exception cref="ArgumentException">As <see cref="MultiplyTransposedBPanel"/>.</exception>
    internal static void MultiplyTransposedBPanelScalar(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckTransposed(m, MaxMPanel, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        int chains = ChainsFor(m, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float t = DotChains(a.Slice(i * lda, k), b.Slice(j * ldb, k), chains);
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + t : t;
            }
    }

    /// <summary>Σ x[p]·y[p] as <paramref name="chains"/> fused multiply-add chains (chain l takes p = l, l + chains, ...
    /// in order, from 0), then the chains added 0 to chains − 1 in float.</summary>
    /// <exception cref="ArgumentException">chains is outside [1, 16], or the spans differ in length.</exception>
    public static float DotChains(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int chains)
    {
        if (chains < 1 || chains > 16) throw new ArgumentException($"SmallGemm.DotChains: chains must be in [1, 16], got {chains}");
        if (x.Length != y.Length) throw new ArgumentException($"SmallGemm.DotChains: lengths differ: x {x.Length}, y {y.Length}");
        Span<float> s = stackalloc float[chains];
        s.Clear();
        for (int p = 0; p < x.Length; p++) s[p % chains] = MathF.FusedMultiplyAdd(x[p], y[p], s[p % chains]);
        float t = s[0];
        for (int l = 1; l < chains; l++) t += s[l];
        return t;
    }
}
