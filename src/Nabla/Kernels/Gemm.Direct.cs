using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Small products, where packing would cost more than it saves: row updates (C row += a_ip * B row)
    /// when B is not transposed, dot products along k when it is.
    /// </summary>
    private static unsafe void Direct(in Job job)
    {
        int m = job.M, n = job.N, k = job.K;
        for (int i = 0; i < m; i++)
        {
            float* crow = job.C + (long)i * job.Ldc;
            if (!job.TransB)
            {
                if (!job.Accumulate) new Span<float>(crow, n).Clear();
                for (int p = 0; p < k; p++)
                {
                    float aip = job.TransA ? job.A[(long)p * job.Lda + i] : job.A[(long)i * job.Lda + p];
                    Axpy(aip, job.B + (long)p * job.Ldb, crow, n);
                }
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    float* brow = job.B + (long)j * job.Ldb;
                    float s = job.TransA
                        ? StridedDot(job.A + i, job.Lda, brow, k)
                        : Dot(job.A + (long)i * job.Lda, brow, k);
                    crow[j] = job.Accumulate ? crow[j] + s : s;
                }
            }
        }
    }

    // Vector FusedMultiplyAdd is emulated in software where the hardware lacks FMA: take the vector paths only
    // where it is real, and use a plain multiply-add in the scalar tails.
    private static bool Fma512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
    private static bool Fma256 => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>y[0..n) += alpha * x[0..n).</summary>
    private static unsafe void Axpy(float alpha, float* x, float* y, int n)
    {
        int j = 0;
        if (Fma512)
        {
            var va = Vector512.Create(alpha);
            for (; j <= n - 16; j += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.Load(x + j), Vector512.Load(y + j)).Store(y + j);
        }
        else if (Fma256)
        {
            var va = Vector256.Create(alpha);
            for (; j <= n - 8; j += 8)
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x + j), Vector256.Load(y + j)).Store(y + j);
        }
        for (; j < n; j++) y[j] += alpha * x[j];
    }

    /// <summary>Σ x[p] * y[p] over p in [0, n), four vector accumulators then a fixed-order reduction.</summary>
    private static unsafe float Dot(float* x, float* y, int n)
    {
        int p = 0;
        float s = 0f;
        if (Fma512 && n >= 16)
        {
            Vector512<float> s0 = default, s1 = default;
            for (; p <= n - 32; p += 32)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.Load(y + p + 16), s1);
            }
            for (; p <= n - 16; p += 16)
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
            s = Vector512.Sum(s0 + s1);
        }
        else if (Fma256 && n >= 8)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; p <= n - 16; p += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 8), Vector256.Load(y + p + 8), s1);
            }
            for (; p <= n - 8; p += 8)
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
            s = Vector256.Sum(s0 + s1);
        }
        for (; p < n; p++) s += x[p] * y[p];
        return s;
    }

    private static unsafe float StridedDot(float* x, int strideX, float* y, int n)
    {
        float s = 0f;
        for (int p = 0; p < n; p++) s += x[(long)p * strideX] * y[p];
        return s;
    }
}
