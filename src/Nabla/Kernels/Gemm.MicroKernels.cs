// The micro-kernels, unrolled so that every accumulator is a named local the JIT keeps in a register.
// Regenerate rather than edit by hand if the tile changes (the pattern is uniform).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Gemm
{
    /// <summary>AVX-512 micro-kernel: C[14 x 32] (+)= Ap[14 x kc] * Bp[kc x 32] from packed panels, all 28 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512x14(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default;
        Vector512<float> c11_0 = default, c11_1 = default;
        Vector512<float> c12_0 = default, c12_1 = default;
        Vector512<float> c13_0 = default, c13_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0), b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            var a12 = Vector512.Create(a[12]); c12_0 = Avx512F.FusedMultiplyAdd(a12, b0, c12_0); c12_1 = Avx512F.FusedMultiplyAdd(a12, b1, c12_1);
            var a13 = Vector512.Create(a[13]); c13_0 = Avx512F.FusedMultiplyAdd(a13, b0, c13_0); c13_1 = Avx512F.FusedMultiplyAdd(a13, b1, c13_1);
            a += 14;
            b += 32;
        }
        if (accumulate)
        {
            c0_0 += Vector512.Load(c); c0_1 += Vector512.Load(c + 16);
            c1_0 += Vector512.Load(c + 1 * ldc); c1_1 += Vector512.Load(c + 1 * ldc + 16);
            c2_0 += Vector512.Load(c + 2 * ldc); c2_1 += Vector512.Load(c + 2 * ldc + 16);
            c3_0 += Vector512.Load(c + 3 * ldc); c3_1 += Vector512.Load(c + 3 * ldc + 16);
            c4_0 += Vector512.Load(c + 4 * ldc); c4_1 += Vector512.Load(c + 4 * ldc + 16);
            c5_0 += Vector512.Load(c + 5 * ldc); c5_1 += Vector512.Load(c + 5 * ldc + 16);
            c6_0 += Vector512.Load(c + 6 * ldc); c6_1 += Vector512.Load(c + 6 * ldc + 16);
            c7_0 += Vector512.Load(c + 7 * ldc); c7_1 += Vector512.Load(c + 7 * ldc + 16);
            c8_0 += Vector512.Load(c + 8 * ldc); c8_1 += Vector512.Load(c + 8 * ldc + 16);
            c9_0 += Vector512.Load(c + 9 * ldc); c9_1 += Vector512.Load(c + 9 * ldc + 16);
            c10_0 += Vector512.Load(c + 10 * ldc); c10_1 += Vector512.Load(c + 10 * ldc + 16);
            c11_0 += Vector512.Load(c + 11 * ldc); c11_1 += Vector512.Load(c + 11 * ldc + 16);
            c12_0 += Vector512.Load(c + 12 * ldc); c12_1 += Vector512.Load(c + 12 * ldc + 16);
            c13_0 += Vector512.Load(c + 13 * ldc); c13_1 += Vector512.Load(c + 13 * ldc + 16);
        }
        c0_0.Store(c); c0_1.Store(c + 16);
        c1_0.Store(c + 1 * ldc); c1_1.Store(c + 1 * ldc + 16);
        c2_0.Store(c + 2 * ldc); c2_1.Store(c + 2 * ldc + 16);
        c3_0.Store(c + 3 * ldc); c3_1.Store(c + 3 * ldc + 16);
        c4_0.Store(c + 4 * ldc); c4_1.Store(c + 4 * ldc + 16);
        c5_0.Store(c + 5 * ldc); c5_1.Store(c + 5 * ldc + 16);
        c6_0.Store(c + 6 * ldc); c6_1.Store(c + 6 * ldc + 16);
        c7_0.Store(c + 7 * ldc); c7_1.Store(c + 7 * ldc + 16);
        c8_0.Store(c + 8 * ldc); c8_1.Store(c + 8 * ldc + 16);
        c9_0.Store(c + 9 * ldc); c9_1.Store(c + 9 * ldc + 16);
        c10_0.Store(c + 10 * ldc); c10_1.Store(c + 10 * ldc + 16);
        c11_0.Store(c + 11 * ldc); c11_1.Store(c + 11 * ldc + 16);
        c12_0.Store(c + 12 * ldc); c12_1.Store(c + 12 * ldc + 16);
        c13_0.Store(c + 13 * ldc); c13_1.Store(c + 13 * ldc + 16);
    }

    /// <summary>AVX-512 micro-kernel for short matrices: C[8 x 32] (+)= Ap[8 x kc] * Bp[kc x 32] from packed panels, all 16 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512x8(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0), b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            a += 8;
            b += 32;
        }
        if (accumulate)
        {
            c0_0 += Vector512.Load(c); c0_1 += Vector512.Load(c + 16);
            c1_0 += Vector512.Load(c + 1 * ldc); c1_1 += Vector512.Load(c + 1 * ldc + 16);
            c2_0 += Vector512.Load(c + 2 * ldc); c2_1 += Vector512.Load(c + 2 * ldc + 16);
            c3_0 += Vector512.Load(c + 3 * ldc); c3_1 += Vector512.Load(c + 3 * ldc + 16);
            c4_0 += Vector512.Load(c + 4 * ldc); c4_1 += Vector512.Load(c + 4 * ldc + 16);
            c5_0 += Vector512.Load(c + 5 * ldc); c5_1 += Vector512.Load(c + 5 * ldc + 16);
            c6_0 += Vector512.Load(c + 6 * ldc); c6_1 += Vector512.Load(c + 6 * ldc + 16);
            c7_0 += Vector512.Load(c + 7 * ldc); c7_1 += Vector512.Load(c + 7 * ldc + 16);
        }
        c0_0.Store(c); c0_1.Store(c + 16);
        c1_0.Store(c + 1 * ldc); c1_1.Store(c + 1 * ldc + 16);
        c2_0.Store(c + 2 * ldc); c2_1.Store(c + 2 * ldc + 16);
        c3_0.Store(c + 3 * ldc); c3_1.Store(c + 3 * ldc + 16);
        c4_0.Store(c + 4 * ldc); c4_1.Store(c + 4 * ldc + 16);
        c5_0.Store(c + 5 * ldc); c5_1.Store(c + 5 * ldc + 16);
        c6_0.Store(c + 6 * ldc); c6_1.Store(c + 6 * ldc + 16);
        c7_0.Store(c + 7 * ldc); c7_1.Store(c + 7 * ldc + 16);
    }

    /// <summary>AVX-512 edge micro-kernel (last panel of at most 16 columns): C[14 x 16] (+)= Ap[14 x kc] * Bp[kc x 16] from packed panels, all 14 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512x14n16(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        Vector512<float> c11_0 = default;
        Vector512<float> c12_0 = default;
        Vector512<float> c13_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            var a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            var a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            var a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            var a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            var a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            var a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            var a6 = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            var a7 = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            var a8 = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            var a9 = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            var a10 = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            var a11 = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            var a12 = Vector512.Create(a[12]); c12_0 = Avx512F.FusedMultiplyAdd(a12, b0, c12_0);
            var a13 = Vector512.Create(a[13]); c13_0 = Avx512F.FusedMultiplyAdd(a13, b0, c13_0);
            a += 14;
            b += 16;
        }
        if (accumulate)
        {
            c0_0 += Vector512.Load(c);
            c1_0 += Vector512.Load(c + 1 * ldc);
            c2_0 += Vector512.Load(c + 2 * ldc);
            c3_0 += Vector512.Load(c + 3 * ldc);
            c4_0 += Vector512.Load(c + 4 * ldc);
            c5_0 += Vector512.Load(c + 5 * ldc);
            c6_0 += Vector512.Load(c + 6 * ldc);
            c7_0 += Vector512.Load(c + 7 * ldc);
            c8_0 += Vector512.Load(c + 8 * ldc);
            c9_0 += Vector512.Load(c + 9 * ldc);
            c10_0 += Vector512.Load(c + 10 * ldc);
            c11_0 += Vector512.Load(c + 11 * ldc);
            c12_0 += Vector512.Load(c + 12 * ldc);
            c13_0 += Vector512.Load(c + 13 * ldc);
        }
        c0_0.Store(c);
        c1_0.Store(c + 1 * ldc);
        c2_0.Store(c + 2 * ldc);
        c3_0.Store(c + 3 * ldc);
        c4_0.Store(c + 4 * ldc);
        c5_0.Store(c + 5 * ldc);
        c6_0.Store(c + 6 * ldc);
        c7_0.Store(c + 7 * ldc);
        c8_0.Store(c + 8 * ldc);
        c9_0.Store(c + 9 * ldc);
        c10_0.Store(c + 10 * ldc);
        c11_0.Store(c + 11 * ldc);
        c12_0.Store(c + 12 * ldc);
        c13_0.Store(c + 13 * ldc);
    }

    /// <summary>AVX-512 edge micro-kernel for short matrices: C[8 x 16] (+)= Ap[8 x kc] * Bp[kc x 16] from packed panels, all 8 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512x8n16(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            var a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            var a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            var a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            var a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            var a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            var a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            var a6 = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            var a7 = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            a += 8;
            b += 16;
        }
        if (accumulate)
        {
            c0_0 += Vector512.Load(c);
            c1_0 += Vector512.Load(c + 1 * ldc);
            c2_0 += Vector512.Load(c + 2 * ldc);
            c3_0 += Vector512.Load(c + 3 * ldc);
            c4_0 += Vector512.Load(c + 4 * ldc);
            c5_0 += Vector512.Load(c + 5 * ldc);
            c6_0 += Vector512.Load(c + 6 * ldc);
            c7_0 += Vector512.Load(c + 7 * ldc);
        }
        c0_0.Store(c);
        c1_0.Store(c + 1 * ldc);
        c2_0.Store(c + 2 * ldc);
        c3_0.Store(c + 3 * ldc);
        c4_0.Store(c + 4 * ldc);
        c5_0.Store(c + 5 * ldc);
        c6_0.Store(c + 6 * ldc);
        c7_0.Store(c + 7 * ldc);
    }

    /// <summary>AVX2 + FMA micro-kernel: C[6 x 16] (+)= Ap[6 x kc] * Bp[kc x 16] from packed panels, all 12 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel256x6(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c0_0 = default, c0_1 = default;
        Vector256<float> c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default;
        Vector256<float> c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default;
        Vector256<float> c5_0 = default, c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b + 0), b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c0_0 = Fma.MultiplyAdd(a0, b0, c0_0); c0_1 = Fma.MultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]); c1_0 = Fma.MultiplyAdd(a1, b0, c1_0); c1_1 = Fma.MultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(a[2]); c2_0 = Fma.MultiplyAdd(a2, b0, c2_0); c2_1 = Fma.MultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(a[3]); c3_0 = Fma.MultiplyAdd(a3, b0, c3_0); c3_1 = Fma.MultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(a[4]); c4_0 = Fma.MultiplyAdd(a4, b0, c4_0); c4_1 = Fma.MultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(a[5]); c5_0 = Fma.MultiplyAdd(a5, b0, c5_0); c5_1 = Fma.MultiplyAdd(a5, b1, c5_1);
            a += 6;
            b += 16;
        }
        if (accumulate)
        {
            c0_0 += Vector256.Load(c); c0_1 += Vector256.Load(c + 8);
            c1_0 += Vector256.Load(c + 1 * ldc); c1_1 += Vector256.Load(c + 1 * ldc + 8);
            c2_0 += Vector256.Load(c + 2 * ldc); c2_1 += Vector256.Load(c + 2 * ldc + 8);
            c3_0 += Vector256.Load(c + 3 * ldc); c3_1 += Vector256.Load(c + 3 * ldc + 8);
            c4_0 += Vector256.Load(c + 4 * ldc); c4_1 += Vector256.Load(c + 4 * ldc + 8);
            c5_0 += Vector256.Load(c + 5 * ldc); c5_1 += Vector256.Load(c + 5 * ldc + 8);
        }
        c0_0.Store(c); c0_1.Store(c + 8);
        c1_0.Store(c + 1 * ldc); c1_1.Store(c + 1 * ldc + 8);
        c2_0.Store(c + 2 * ldc); c2_1.Store(c + 2 * ldc + 8);
        c3_0.Store(c + 3 * ldc); c3_1.Store(c + 3 * ldc + 8);
        c4_0.Store(c + 4 * ldc); c4_1.Store(c + 4 * ldc + 8);
        c5_0.Store(c + 5 * ldc); c5_1.Store(c + 5 * ldc + 8);
    }
}
