using System.Runtime.CompilerServices;
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

    /// <summary>Σ x[p] * y[p] over p in [0, n): two vector accumulators of the widest width with fused multiply-adds,
    /// then a fixed-order reduction, then the tail in order.</summary>
    private static unsafe float Dot(float* x, float* y, int n)
    {
        int p = 0;
        float s = 0f;
        if (Fma512 && n >= 16) s = DotVectors<Dot512, Vector512<float>>(x, y, n, out p);
        else if (Fma256 && n >= 8) s = DotVectors<Dot256, Vector256<float>>(x, y, n, out p);
        for (; p < n; p++) s += x[p] * y[p];
        return s;
    }

    /// <summary>The vector part of <see cref="Dot"/> for one width: pairs of steps into two accumulators, then a last
    /// single step, from 0; <paramref name="p"/> is left past the last whole vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float DotVectors<T, TV>(float* x, float* y, int n, out int p) where T : struct, IDotStep<TV> where TV : struct
    {
        int w = T.Lanes, q = 0;
        TV s0 = default, s1 = default;
        for (; q <= n - 2 * w; q += 2 * w)
        {
            s0 = T.Step(x + q, y + q, s0);
            s1 = T.Step(x + q + w, y + q + w, s1);
        }
        for (; q <= n - w; q += w) s0 = T.Step(x + q, y + q, s0);
        p = q;
        return T.Sum(s0, s1);
    }

    /// <summary>One vector width for <see cref="DotVectors"/>: s + x[0..Lanes)·y[0..Lanes) lane by lane (one fused
    /// multiply-add), and the sum of all lanes of s0 + s1.</summary>
    private interface IDotStep<TV> where TV : struct
    {
        static abstract int Lanes { get; }
        static abstract unsafe TV Step(float* x, float* y, TV s);
        static abstract float Sum(TV s0, TV s1);
    }

    private readonly struct Dot512 : IDotStep<Vector512<float>>
    {
        public static int Lanes => 16;
        public static unsafe Vector512<float> Step(float* x, float* y, Vector512<float> s) => Vector512.FusedMultiplyAdd(Vector512.Load(x), Vector512.Load(y), s);
        public static float Sum(Vector512<float> s0, Vector512<float> s1) => Vector512.Sum(s0 + s1);
    }

    private readonly struct Dot256 : IDotStep<Vector256<float>>
    {
        public static int Lanes => 8;
        public static unsafe Vector256<float> Step(float* x, float* y, Vector256<float> s) => Vector256.FusedMultiplyAdd(Vector256.Load(x), Vector256.Load(y), s);
        public static float Sum(Vector256<float> s0, Vector256<float> s1) => Vector256.Sum(s0 + s1);
    }

    private static unsafe float StridedDot(float* x, int strideX, float* y, int n)
    {
        float s = 0f;
        for (int p = 0; p < n; p++) s += x[(long)p * strideX] * y[p];
        return s;
    }
}
