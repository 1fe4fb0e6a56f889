using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// A 16 x 16 in-register transpose for packing: dst[p * ldd + r] = src[r * lds + p] for r &lt; rows, p &lt; 16
    /// (unpack 32-bit, unpack 64-bit, then two rounds of 128-bit lane shuffles). With rows &lt; 16 the missing rows
    /// read as zero and only the first <paramref name="rows"/> lanes of each output are stored, so panels of
    /// width rows (14 for A) can be written back to back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose16(float* src, long lds, int rows, float* dst, int ldd)
    {
        var r0 = Row(src, lds, 0, rows); var r1 = Row(src, lds, 1, rows);
        var r2 = Row(src, lds, 2, rows); var r3 = Row(src, lds, 3, rows);
        var r4 = Row(src, lds, 4, rows); var r5 = Row(src, lds, 5, rows);
        var r6 = Row(src, lds, 6, rows); var r7 = Row(src, lds, 7, rows);
        var r8 = Row(src, lds, 8, rows); var r9 = Row(src, lds, 9, rows);
        var r10 = Row(src, lds, 10, rows); var r11 = Row(src, lds, 11, rows);
        var r12 = Row(src, lds, 12, rows); var r13 = Row(src, lds, 13, rows);
        var r14 = Row(src, lds, 14, rows); var r15 = Row(src, lds, 15, rows);

        // Per 128-bit lane L, u{4g+q} holds column 4L+q of rows 4g..4g+3.
        Quad(r0, r1, r2, r3, out var u0, out var u1, out var u2, out var u3);
        Quad(r4, r5, r6, r7, out var u4, out var u5, out var u6, out var u7);
        Quad(r8, r9, r10, r11, out var u8, out var u9, out var u10, out var u11);
        Quad(r12, r13, r14, r15, out var u12, out var u13, out var u14, out var u15);

        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(rows)).AsSingle();
        Gather(u0, u4, u8, u12, dst, ldd, 0, rows, mask);
        Gather(u1, u5, u9, u13, dst, ldd, 1, rows, mask);
        Gather(u2, u6, u10, u14, dst, ldd, 2, rows, mask);
        Gather(u3, u7, u11, u15, dst, ldd, 3, rows, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Row(float* src, long lds, int i, int rows) =>
        i < rows ? Vector512.Load(src + i * lds) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> q0, out Vector512<float> q1, out Vector512<float> q2, out Vector512<float> q3)
    {
        var t0 = Avx512F.UnpackLow(a, b).AsDouble();
        var t1 = Avx512F.UnpackHigh(a, b).AsDouble();
        var t2 = Avx512F.UnpackLow(c, d).AsDouble();
        var t3 = Avx512F.UnpackHigh(c, d).AsDouble();
        q0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        q1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        q2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        q3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <summary>Columns q, 4+q, 8+q, 12+q from the four row groups' u vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        float* dst, int ldd, int q, int rows, Vector512<float> mask)
    {
        var v0 = Avx512F.Shuffle4x128(g0, g1, 0x88); // lanes 0,2 of g0, then of g1
        var v1 = Avx512F.Shuffle4x128(g0, g1, 0xDD); // lanes 1,3
        var w0 = Avx512F.Shuffle4x128(g2, g3, 0x88);
        var w1 = Avx512F.Shuffle4x128(g2, g3, 0xDD);
        Put(Avx512F.Shuffle4x128(v0, w0, 0x88), dst + q * ldd, rows, mask);        // lane 0 -> column q
        Put(Avx512F.Shuffle4x128(v1, w1, 0x88), dst + (4 + q) * ldd, rows, mask);  // lane 1
        Put(Avx512F.Shuffle4x128(v0, w0, 0xDD), dst + (8 + q) * ldd, rows, mask);  // lane 2
        Put(Avx512F.Shuffle4x128(v1, w1, 0xDD), dst + (12 + q) * ldd, rows, mask); // lane 3
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(Vector512<float> v, float* dst, int rows, Vector512<float> mask)
    {
        if (rows == 16) v.Store(dst);
        else Avx512F.MaskStore(dst, mask, v);
    }

    /// <summary>The AVX2 packing of 6 rows of A into a 6-row panel, 8 steps of k at a time: dst[p * 6 + r] =
    /// src[r * lds + p] for r &lt; 6, p &lt; 8. <see cref="Vector16.Transpose8(ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float})"/>
    /// with two zero rows; each column's 8 floats are stored whole (their last two are overwritten by the next
    /// column), the eighth column as 4 + 2 floats, so nothing past dst[47] is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Pack6x8Avx2(float* src, long lds, float* dst)
    {
        var r0 = Vector256.Load(src); var r1 = Vector256.Load(src + lds); var r2 = Vector256.Load(src + 2 * lds);
        var r3 = Vector256.Load(src + 3 * lds); var r4 = Vector256.Load(src + 4 * lds); var r5 = Vector256.Load(src + 5 * lds);
        Vector256<float> r6 = default, r7 = default;
        Vector16.Transpose8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        r0.Store(dst); r1.Store(dst + 6); r2.Store(dst + 12); r3.Store(dst + 18);
        r4.Store(dst + 24); r5.Store(dst + 30); r6.Store(dst + 36);
        r7.GetLower().Store(dst + 42);
        Sse2.StoreLow((double*)(dst + 46), r7.GetUpper().AsDouble());
    }
}
