using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// Products <c>C = A·B</c> whose A has only a few rows (a convolution with few output channels, such as LeNet's
/// first, lowered to im2col): A's rows stay in registers as broadcasts, B streams through once, and each 8 x 32
/// block of C is accumulated in registers over the whole k, with no packing. <see cref="Gemm.Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/>'s direct path
/// would instead re-read and re-write each row of C once per k.
/// </summary>
/// <remarks>Every element is <c>fma(a[i,k−1], b[k−1,j], … fma(a[i,0], b[0,j], 0))</c>, in k order, whatever its
/// position in a block: the same bits as <see cref="MultiplyScalar"/>, for any split of the columns.</remarks>
public static partial class SmallGemm
{
    /// <summary>The most rows of A (and C) this kernel takes.</summary>
    public const int MaxM = 8;

    /// <summary>The most rows of A (and C) <see cref="MultiplyTransposedBPanel"/> takes: a column of A fits one 16-lane vector.</summary>
    public const int MaxMPanel = 16;

    /// <summary>The longest k this kernel takes (A's panel lives on the stack).</summary>
    public const int MaxK = 1024;

    /// <summary>True when <see cref="Multiply"/> runs vectorised here (AVX-512); callers use <see cref="Gemm.Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/> otherwise.</summary>
    public static bool IsAccelerated => Avx512F.IsSupported;

    /// <summary>C (m x n, leading dimension ldc) = A (m x k, lda) · B (k x n, ldb), overwriting C.</summary>
    /// <exception cref="ArgumentException">m outside [1, <see cref="MaxM"/>], k outside [1, <see cref="MaxK"/>], a leading
    /// dimension too small or a span too short.</exception>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc) =>
        Run(false, m, n, k, a, lda, b, ldb, c, ldc);

    /// <summary>C (m x n, ldc) = Aᵀ · B with A stored k x m (lda ≥ m): the same kernel with A's panel read down its
    /// columns (a convolution's column gradient Wᵀ·dY, taken 8 columns of W at a time).</summary>
    /// <exception cref="ArgumentException">As <see cref="Multiply"/>, with A's shape k x m.</exception>
    public static void MultiplyTransposedA(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc) =>
        Run(true, m, n, k, a, lda, b, ldb, c, ldc);

    /// <summary><see cref="Multiply"/>, or with <paramref name="transA"/> <see cref="MultiplyTransposedA"/>: A's 8-row
    /// panel is packed on the stack (read down A's columns when transposed), then each 8 x 32 block of C.</summary>
    private static unsafe void Run(bool transA, int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        Check(transA, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (!IsAccelerated)
        {
            Scalar(transA, m, n, k, a, lda, b, ldb, c, ldc);
            return;
        }
        float* panel = stackalloc float[MaxM * k];
        if (transA) // the branch stays out of the packing loops (at LeNet's sizes packing costs as much as a block)
            for (int p = 0; p < k; p++)
                for (int r = 0; r < MaxM; r++) panel[p * MaxM + r] = r < m ? a[p * lda + r] : 0f;
        else
            for (int p = 0; p < k; p++)
                for (int r = 0; r < MaxM; r++) panel[p * MaxM + r] = r < m ? a[r * lda + p] : 0f;
        fixed (float* pb = b, pc = c)
            for (int j = 0; j < n; j += 32) Block(m, Math.Min(32, n - j), k, panel, pb + j, ldb, pc + j, ldc);
    }

    /// <summary>One block of up to 32 columns: 8 rows x 2 vectors of accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block(int m, int cols, int k, float* panel, float* b, int ldb, float* c, int ldc)
    {
        var lanes = Vector512<int>.Indices;
        var mask0 = Vector512.LessThan(lanes, Vector512.Create(cols)).AsSingle();
        var mask1 = Vector512.LessThan(lanes, Vector512.Create(cols - 16)).AsSingle();
        bool full = cols == 32;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < k; p++)
        {
            float* brow = b + (long)p * ldb;
            Vector512<float> b0, b1;
            if (full) { b0 = Vector512.Load(brow); b1 = Vector512.Load(brow + 16); }
            else { b0 = Avx512F.MaskLoad(brow, mask0, Vector512<float>.Zero); b1 = Avx512F.MaskLoad(brow + 16, mask1, Vector512<float>.Zero); }
            float* ap = panel + p * MaxM;
            var a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
        }
        Store(c, 0, ldc, m, full, mask0, mask1, c00, c01);
        Store(c, 1, ldc, m, full, mask0, mask1, c10, c11);
        Store(c, 2, ldc, m, full, mask0, mask1, c20, c21);
        Store(c, 3, ldc, m, full, mask0, mask1, c30, c31);
        Store(c, 4, ldc, m, full, mask0, mask1, c40, c41);
        Store(c, 5, ldc, m, full, mask0, mask1, c50, c51);
        Store(c, 6, ldc, m, full, mask0, mask1, c60, c61);
        Store(c, 7, ldc, m, full, mask0, mask1, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* c, int row, int ldc, int m, bool full, Vector512<float> mask0, Vector512<float> mask1,
        Vector512<float> v0, Vector512<float> v1)
    {
        if (row >= m) return;
        float* d = c + (long)row * ldc;
        if (full) { v0.Store(d); v1.Store(d + 16); }
        else { Avx512F.MaskStore(d, mask0, v0); Avx512F.MaskStore(d + 16, mask1, v1); }
    }

    /// <summary>C (m x n, ldc) = (or +=, with <paramref name="accumulate"/>) A (m x k, lda) · Bᵀ, B stored n x k (ldb): dot
    /// products of A's rows with B's rows (a convolution's weight gradient dY·colsᵀ with few output channels). A's rows
    /// and two of B's rows are read once per 16-wide step of k into 16 accumulators, k in L1-sized blocks.</summary>
    /// <remarks>Each element is <see cref="DotLanes"/>: sixteen fused multiply-add chains over p ≡ lane (mod 16)
    /// (the last step zero-padded), summed lane 0 to 15 in float; the same bits as <see cref="MultiplyTransposedBScalar"/>.</remarks>
    /// <exception cref="ArgumentException">m outside [1, <see cref="MaxM"/>], a leading dimension too small or a span too short.</exception>
    public static void MultiplyTransposedB(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        if (IsAccelerated) LaneVectors(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        else MultiplyTransposedBScalar(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    /// <summary>The AVX-512 body of <see cref="MultiplyTransposedB"/>: sixteen lanes of partial sums per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LaneVectors(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckTransposed(m, MaxM, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        // Sixteen lanes of partial sums per element of C, kept across blocks of k so that a block of A and of B stays
        // in L1 while every pair of B's rows passes over it; each lane's chain still runs in p order.
        int accLength = m * n * 16;
        var accBuf = t_acc is { } buf && buf.Length >= accLength ? buf : (t_acc = new float[Math.Max(accLength, 1024)]);
        Array.Clear(accBuf, 0, accLength);
        fixed (float* pa = a, pb = b, pc = c, acc = accBuf)
        {
            for (int p0 = 0; p0 < k; p0 += KBlock)
            {
                int p1 = Math.Min(k, p0 + KBlock);
                for (int j = 0; j < n; j += 2)
                {
                    bool two = j + 1 < n;
                    float* b0 = pb + (long)j * ldb, b1 = two ? b0 + ldb : b0;
                    float* s0 = acc + j * 16, s1 = two ? s0 + 16 : s0;
                    int rs = n * 16; // distance between rows of partial sums
                    Vector512<float> a00 = Vector512.Load(s0), a01 = Vector512.Load(s1), a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
                    Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
                    if (m > 1) { a10 = Vector512.Load(s0 + rs); a11 = Vector512.Load(s1 + rs); }
                    if (m > 2) { a20 = Vector512.Load(s0 + 2 * rs); a21 = Vector512.Load(s1 + 2 * rs); }
                    if (m > 3) { a30 = Vector512.Load(s0 + 3 * rs); a31 = Vector512.Load(s1 + 3 * rs); }
                    if (m > 4) { a40 = Vector512.Load(s0 + 4 * rs); a41 = Vector512.Load(s1 + 4 * rs); }
                    if (m > 5) { a50 = Vector512.Load(s0 + 5 * rs); a51 = Vector512.Load(s1 + 5 * rs); }
                    if (m > 6) { a60 = Vector512.Load(s0 + 6 * rs); a61 = Vector512.Load(s1 + 6 * rs); }
                    if (m > 7) { a70 = Vector512.Load(s0 + 7 * rs); a71 = Vector512.Load(s1 + 7 * rs); }
                    float* r0 = pa, r1 = pa + lda, r2 = pa + 2L * lda, r3 = pa + 3L * lda;
                    float* r4 = pa + 4L * lda, r5 = pa + 5L * lda, r6 = pa + 6L * lda, r7 = pa + 7L * lda;
                    // Rows past m are never loaded: their accumulators stay zero and are never stored.
                    int p = p0;
                    for (; p + 16 <= p1; p += 16)
                    {
                        var v0 = Vector512.Load(b0 + p);
                        var v1 = Vector512.Load(b1 + p);
                        var u = Vector512.Load(r0 + p);
                        a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
                        if (m > 1) { u = Vector512.Load(r1 + p); a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11); }
                        if (m > 2) { u = Vector512.Load(r2 + p); a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21); }
                        if (m > 3) { u = Vector512.Load(r3 + p); a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31); }
                        if (m > 4) { u = Vector512.Load(r4 + p); a40 = Vector512.FusedMultiplyAdd(u, v0, a40); a41 = Vector512.FusedMultiplyAdd(u, v1, a41); }
                        if (m > 5) { u = Vector512.Load(r5 + p); a50 = Vector512.FusedMultiplyAdd(u, v0, a50); a51 = Vector512.FusedMultiplyAdd(u, v1, a51); }
                        if (m > 6) { u = Vector512.Load(r6 + p); a60 = Vector512.FusedMultiplyAdd(u, v0, a60); a61 = Vector512.FusedMultiplyAdd(u, v1, a61); }
                        if (m > 7) { u = Vector512.Load(r7 + p); a70 = Vector512.FusedMultiplyAdd(u, v0, a70); a71 = Vector512.FusedMultiplyAdd(u, v1, a71); }
                    }
                    if (p < p1) // the last, partial step of k (blocks are multiples of 16 long)
                    {
                        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(p1 - p)).AsSingle();
                        var v0 = Avx512F.MaskLoad(b0 + p, mask, Vector512<float>.Zero);
                        var v1 = Avx512F.MaskLoad(b1 + p, mask, Vector512<float>.Zero);
                        var u = Avx512F.MaskLoad(r0 + p, mask, Vector512<float>.Zero);
                        a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
                        if (m > 1) { u = Avx512F.MaskLoad(r1 + p, mask, Vector512<float>.Zero); a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11); }
                        if (m > 2) { u = Avx512F.MaskLoad(r2 + p, mask, Vector512<float>.Zero); a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21); }
                        if (m > 3) { u = Avx512F.MaskLoad(r3 + p, mask, Vector512<float>.Zero); a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31); }
                        if (m > 4) { u = Avx512F.MaskLoad(r4 + p, mask, Vector512<float>.Zero); a40 = Vector512.FusedMultiplyAdd(u, v0, a40); a41 = Vector512.FusedMultiplyAdd(u, v1, a41); }
                        if (m > 5) { u = Avx512F.MaskLoad(r5 + p, mask, Vector512<float>.Zero); a50 = Vector512.FusedMultiplyAdd(u, v0, a50); a51 = Vector512.FusedMultiplyAdd(u, v1, a51); }
                        if (m > 6) { u = Avx512F.MaskLoad(r6 + p, mask, Vector512<float>.Zero); a60 = Vector512.FusedMultiplyAdd(u, v0, a60); a61 = Vector512.FusedMultiplyAdd(u, v1, a61); }
                        if (m > 7) { u = Avx512F.MaskLoad(r7 + p, mask, Vector512<float>.Zero); a70 = Vector512.FusedMultiplyAdd(u, v0, a70); a71 = Vector512.FusedMultiplyAdd(u, v1, a71); }
                    }
                    // Store the pair's second row first: with an odd n the last pair aliases s1 to s0.
                    a01.Store(s1); a00.Store(s0);
                    if (m > 1) { a11.Store(s1 + rs); a10.Store(s0 + rs); }
                    if (m > 2) { a21.Store(s1 + 2 * rs); a20.Store(s0 + 2 * rs); }
                    if (m > 3) { a31.Store(s1 + 3 * rs); a30.Store(s0 + 3 * rs); }
                    if (m > 4) { a41.Store(s1 + 4 * rs); a40.Store(s0 + 4 * rs); }
                    if (m > 5) { a51.Store(s1 + 5 * rs); a50.Store(s0 + 5 * rs); }
                    if (m > 6) { a61.Store(s1 + 6 * rs); a60.Store(s0 + 6 * rs); }
                    if (m > 7) { a71.Store(s1 + 7 * rs); a70.Store(s0 + 7 * rs); }
                }
            }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float t = SumLanes(acc + (i * n + j) * 16);
                    float* d = pc + (long)i * ldc + j;
                    *d = accumulate ? *d + t : t;
                }
        }
    }

    /// <summary>Columns of k per block of <see cref="MultiplyTransposedB"/> (8 rows of A and 2 of B: 40 KiB, in L1).</summary>
    private const int KBlock = 1024;

    [ThreadStatic] private static float[]? t_acc;

    private static unsafe float SumLanes(float* lanes)
    {
        float t = 0f;
        for (int l = 0; l < 16; l++) t += lanes[l];
        return t;
    }

    /// <summary>The scalar fallback of <see cref="MultiplyTransposedB"/> without AVX-512 (and its twin in the tests): each element by <see cref="DotLanes"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="MultiplyTransposedB"/>.</exception>
    internal static void MultiplyTransposedBScalar(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckTransposed(m, MaxM, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float t = DotLanes(a.Slice(i * lda, k), b.Slice(j * ldb, k));
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + t : t;
            }
    }

    /// <summary>Σ x[p]·y[p] as sixteen fused multiply-add chains (lane l takes p = l, l + 16, ...), then the lanes added
    /// 0 to 15 in float.</summary>
    public static float DotLanes(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        Span<float> lanes = stackalloc float[16];
        lanes.Clear();
        for (int p = 0; p < x.Length; p++) lanes[p % 16] = MathF.FusedMultiplyAdd(x[p], y[p], lanes[p % 16]);
        float t = 0f;
        for (int l = 0; l < 16; l++) t += lanes[l];
        return t;
    }

    private static void CheckTransposed(int m, int maxM, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 1 || m > maxM) throw new ArgumentException($"SmallGemm: m must be in [1, {maxM}], got {m}");
        if (n < 0 || k < 0) throw new ArgumentException($"SmallGemm: sizes must be non-negative, got n={n} k={k}");
        if (lda < k || ldb < k || ldc < n) throw new ArgumentException($"SmallGemm: leading dimensions too small: lda {lda}, ldb {ldb} (k {k}), ldc {ldc} (n {n})");
        if (n == 0) return;
        if (aLength < (long)(m - 1) * lda + k || bLength < (long)(n - 1) * ldb + k || cLength < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"SmallGemm: a span is too short for m={m} n={n} k={k}");
    }

    /// <summary>The scalar fallback of <see cref="Multiply"/> without AVX-512 (and its twin in the tests): for each element, fused multiply-adds in k order from 0.</summary>
    /// <exception cref="ArgumentException">As <see cref="Multiply"/>.</exception>
    internal static void MultiplyScalar(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        Check(false, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Scalar(false, m, n, k, a, lda, b, ldb, c, ldc);
    }

    /// <summary>The scalar fallback of <see cref="MultiplyTransposedA"/> without AVX-512 (and its twin in the tests): fused multiply-adds in k order from 0.</summary>
    /// <exception cref="ArgumentException">As <see cref="MultiplyTransposedA"/>.</exception>
    internal static void MultiplyTransposedAScalar(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        Check(true, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Scalar(true, m, n, k, a, lda, b, ldb, c, ldc);
    }

    /// <summary>c[i, j] = Σ_p op(A)[i, p]·B[p, j] as fused multiply-adds in p order from 0; A stored k x m when <paramref name="transA"/>.</summary>
    private static void Scalar(bool transA, int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(transA ? a[p * lda + i] : a[i * lda + p], b[p * ldb + j], s);
                c[i * ldc + j] = s;
            }
    }

    /// <summary>The checks of <see cref="Multiply"/> and (with <paramref name="transA"/>, A stored k x m) <see cref="MultiplyTransposedA"/>.</summary>
    private static void Check(bool transA, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 1 || m > MaxM) throw new ArgumentException($"SmallGemm: m must be in [1, {MaxM}], got {m}");
        if (k < 1 || k > MaxK) throw new ArgumentException($"SmallGemm: k must be in [1, {MaxK}], got {k}");
        if (n < 0) throw new ArgumentException($"SmallGemm: n must be non-negative, got {n}");
        int aRow = transA ? m : k;
        if (lda < aRow || ldb < n || ldc < n)
            throw new ArgumentException($"SmallGemm: leading dimensions too small: lda {lda} ({(transA ? "m" : "k")} {aRow}), ldb {ldb}, ldc {ldc} (n {n})");
        if (n == 0) return;
        long aNeed = (long)((transA ? k : m) - 1) * lda + aRow;
        if (aLength < aNeed || bLength < (long)(k - 1) * ldb + n || cLength < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"SmallGemm: a span is too short for m={m} n={n} k={k}{(transA ? " (A transposed)" : "")}");
    }
}
