namespace Nabla.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans:
/// effectively computes <c>C = beta * C + op(A) * op(B)</c> where op(X) is X or Xᵀ.
/// </summary>
/// <remarks>
/// op(A) is m x k, op(B) is k x n, C is m x n. A is stored m x k (lda ≥ k) when not transposed and
/// k x m (lda ≥ m) when transposed; likewise B. <c>beta</c> is usually 0 (overwrite; C's old contents may be
/// garbage, even NaN) or 1 (accumulate); other values scale C first. Kernels allocate nothing (packing
/// buffers are per thread and reused).
/// <para>
/// The fast path (<see cref="Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/>) is a BLIS-style packed, cache-blocked product with an AVX-512 (or AVX2)
/// register-tiled micro-kernel, split over <see cref="Workers"/> for large products. Every element of C is
/// computed by the same sequence of floating-point operations whatever the thread count, so results are
/// bit-identical for any <see cref="Workers.Count"/>. Like BLAS, no term is skipped: a NaN or infinity in A or B
/// reaches C even where the other factor is zero.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>The fast path: packed and blocked for large products, a direct loop for small ones.</summary>
    /// <param name="transA">Use Aᵀ: A is stored k x m.</param>
    /// <param name="transB">Use Bᵀ: B is stored n x k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of the stored A.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of the stored B.</param>
    /// <param name="c">C (m x n), row-major with leading dimension <paramref name="ldc"/>; the destination.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="beta">0 overwrites C, 1 accumulates into it, anything else scales C first.</param>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small or a span too short.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta) =>
        Sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta, HardwarePath);

    /// <summary><see cref="Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/>
    /// on a given micro-kernel path (tests run the narrower paths than the hardware's with it).</summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta, GemmPath path)
    {
        Check(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (beta != 0f && beta != 1f) Scale(m, n, c, ldc, beta);
        bool accumulate = beta != 0f;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                var job = new Job(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, path);
                if (UseDirect(path, m, n, k)) Direct(in job);
                else Packed(in job);
            }
        }
    }

    internal static void Scale(int m, int n, Span<float> c, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    internal static void Check(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: sizes must be non-negative, got m={m} n={n} k={k}");
        CheckOperand("A", transA ? k : m, transA ? m : k, aLength, lda);
        CheckOperand("B", transB ? n : k, transB ? k : n, bLength, ldb);
        CheckOperand("C", m, n, cLength, ldc);
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (rows > 0 && cols > 0 && ld < cols)
            throw new ArgumentException($"Gemm: leading dimension of {name} must be at least {cols}, got {ld}");
        long need = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < need)
            throw new ArgumentException($"Gemm: {name} ({rows} x {cols}, ld {ld}) needs {need} elements, span has {length}");
    }

    /// <summary>The operands of one call, pinned for its duration.</summary>
    /// <remarks><see cref="APanels"/> and <see cref="BPanels"/>, when not null, hold the whole of op(A) or op(B)
    /// already in the micro-kernel's panels (<c>Gemm.Panels.cs</c>): the blocked loops then read them in place instead of
    /// packing A or B.</remarks>
    private readonly unsafe struct Job(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, GemmPath path,
        float* aPanels = default, float* bPanels = default)
    {
        public readonly bool TransA = transA, TransB = transB, Accumulate = accumulate;
        public readonly GemmPath Path = path;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly float* A = a, B = b, C = c;
        public readonly float* APanels = aPanels, BPanels = bPanels;
    }
}
