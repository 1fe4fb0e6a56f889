namespace Nabla.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans:
/// effectively computes <c>C = beta * C + op(A) * op(B)</c> where op(X) is X or Xᵀ.
/// </summary>
/// <remarks>
/// op(A) is m x k, op(B) is k x n, C is m x n. A is stored m x k (lda ≥ k) when not transposed and
/// k x m (lda ≥ m) when transposed; likewise B. <c>beta</c> is 0 (overwrite; C's old contents may be
/// garbage, even NaN) or 1 (accumulate). Kernels allocate nothing.
/// </remarks>
public static class Gemm
{
    /// <summary>The fast path. Falls back to <see cref="Naive"/> where it has nothing better.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta)
        => Naive(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);

    /// <summary>The reference: three loops, accumulating in float in k order.</summary>
    public static void Naive(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * ldc, n);
            if (beta == 0f) crow.Clear();
            for (int p = 0; p < k; p++)
            {
                float aip = transA ? a[p * lda + i] : a[i * lda + p];
                if (aip == 0f) continue;
                if (!transB)
                {
                    var brow = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) crow[j] += aip * brow[j];
                }
                else
                {
                    for (int j = 0; j < n; j++) crow[j] += aip * b[j * ldb + p];
                }
            }
        }
    }
}
