using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Gemm"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class GemmNaive
{
    /// <summary>The reference: three loops, accumulating in float in k order. Same contract as <see cref="Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/>.</summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small or a span too short.</exception>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta)
    {
        Gemm.Check(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (beta != 0f && beta != 1f) Gemm.Scale(m, n, c, ldc, beta);
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * ldc, n);
            if (beta == 0f) crow.Clear();
            for (int p = 0; p < k; p++)
            {
                float aip = transA ? a[p * lda + i] : a[i * lda + p];
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
