using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// The operations on 16 lanes (one Vector512) that the kernels take from AVX-512 and that Vector512 has no portable
/// form of — masked loads and stores, the even and odd lanes of two vectors, interleaving two vectors — with AVX2
/// twins on the two 256-bit halves, so those kernels run on AVX2-only CPUs too (where every Vector512 operation is two
/// 256-bit ones). Both forms give the same lanes. Masked loads and stores read or write only the lanes whose mask is
/// set (its sign bit) and never fault on the others, so a row's last partial vector is read or written in place.
/// </summary>
internal static class Vector16
{
    /// <summary>Whether these run as instructions here (AVX-512F, or AVX2).</summary>
    public static bool IsSupported => Avx512F.IsSupported || Avx2.IsSupported;

    /// <summary>The mask of the first <paramref name="live"/> lanes (none when it is ≤ 0, all when ≥ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FirstLanes(int live) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(live)).AsSingle();

    /// <summary>The lanes of <paramref name="p"/> under <paramref name="mask"/>, zero elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Load(float* p, Vector512<float> mask)
    {
        if (Avx512F.IsSupported) return Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
        return LoadAvx2(p, mask);
    }

    /// <summary>The AVX2 form of <see cref="Load(float*, Vector512{float})"/> (VMASKMOVPS on each half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector512<float> LoadAvx2(float* p, Vector512<float> mask) =>
        Vector512.Create(Avx.MaskLoad(p, mask.GetLower()), Avx.MaskLoad(p + 8, mask.GetUpper()));

    /// <inheritdoc cref="Load(float*, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<int> Load(int* p, Vector512<int> mask)
    {
        if (Avx512F.IsSupported) return Avx512F.MaskLoad(p, mask, Vector512<int>.Zero);
        return LoadAvx2(p, mask);
    }

    /// <summary>The AVX2 form of <see cref="Load(int*, Vector512{int})"/> (VPMASKMOVD on each half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector512<int> LoadAvx2(int* p, Vector512<int> mask) =>
        Vector512.Create(Avx2.MaskLoad(p, mask.GetLower()), Avx2.MaskLoad(p + 8, mask.GetUpper()));

    /// <summary>Writes the lanes of <paramref name="v"/> under <paramref name="mask"/> to <paramref name="p"/>, leaving
    /// the other elements as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(float* p, Vector512<float> mask, Vector512<float> v)
    {
        if (Avx512F.IsSupported) Avx512F.MaskStore(p, mask, v);
        else StoreAvx2(p, mask, v);
    }

    /// <summary>The AVX2 form of <see cref="Store(float*, Vector512{float}, Vector512{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void StoreAvx2(float* p, Vector512<float> mask, Vector512<float> v)
    {
        Avx.MaskStore(p, mask.GetLower(), v.GetLower());
        Avx.MaskStore(p + 8, mask.GetUpper(), v.GetUpper());
    }

    /// <inheritdoc cref="Store(float*, Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(int* p, Vector512<int> mask, Vector512<int> v)
    {
        if (Avx512F.IsSupported) Avx512F.MaskStore(p, mask, v);
        else StoreAvx2(p, mask, v);
    }

    /// <summary>The AVX2 form of <see cref="Store(int*, Vector512{int}, Vector512{int})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void StoreAvx2(int* p, Vector512<int> mask, Vector512<int> v)
    {
        Avx2.MaskStore(p, mask.GetLower(), v.GetLower());
        Avx2.MaskStore(p + 8, mask.GetUpper(), v.GetUpper());
    }

    /// <summary>Lanes 0, 2, ..., 30 of the 32 floats <paramref name="lo"/> then <paramref name="hi"/> (with
    /// <paramref name="odd"/>, lanes 1, 3, ..., 31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> EveryOther(Vector512<float> lo, Vector512<float> hi, bool odd)
    {
        if (Avx512F.IsSupported)
        {
            var idx = Vector512<int>.Indices * 2;
            return Avx512F.PermuteVar16x32x2(lo, odd ? idx + Vector512<int>.One : idx, hi);
        }
        return EveryOtherAvx2(lo, hi, odd);
    }

    /// <summary>The AVX2 form of <see cref="EveryOther"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> EveryOtherAvx2(Vector512<float> lo, Vector512<float> hi, bool odd) =>
        Vector512.Create(EveryOther8(lo.GetLower(), lo.GetUpper(), odd), EveryOther8(hi.GetLower(), hi.GetUpper(), odd));

    /// <summary>The even (or odd) lanes of the 16 floats a then b: VSHUFPS picks them per 128-bit lane, VPERMPD
    /// puts the 64-bit pairs in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> EveryOther8(Vector256<float> a, Vector256<float> b, bool odd)
    {
        var s = odd ? Avx.Shuffle(a, b, 0xDD) : Avx.Shuffle(a, b, 0x88); // a0 a2 b0 b2 | a4 a6 b4 b6
        return Avx2.Permute4x64(s.AsDouble(), 0xD8).AsSingle();           // a0 a2 a4 a6 b0 b2 b4 b6
    }

    /// <summary>a0 b0 a1 b1 ... a7 b7 (with <paramref name="high"/>, a8 b8 ... a15 b15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Interleave(Vector512<float> a, Vector512<float> b, bool high)
    {
        if (Avx512F.IsSupported)
        {
            var lanes = Vector512<int>.Indices;
            var lo = lanes >> 1 | (lanes & Vector512<int>.One) << 4; // 0, 16, 1, 17, ..., 7, 23
            return Avx512F.PermuteVar16x32x2(a, high ? lo + Vector512.Create(8) : lo, b);
        }
        return InterleaveAvx2(a, b, high);
    }

    /// <summary>The AVX2 form of <see cref="Interleave"/>: VUNPCKLPS and VUNPCKHPS per 128-bit lane, VPERM2F128 to order them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> InterleaveAvx2(Vector512<float> a, Vector512<float> b, bool high)
    {
        Vector256<float> x = high ? a.GetUpper() : a.GetLower(), y = high ? b.GetUpper() : b.GetLower();
        var u = Avx.UnpackLow(x, y);  // x0 y0 x1 y1 | x4 y4 x5 y5
        var v = Avx.UnpackHigh(x, y); // x2 y2 x3 y3 | x6 y6 x7 y7
        return Vector512.Create(Avx.Permute2x128(u, v, 0x20), Avx.Permute2x128(u, v, 0x31));
    }

    /// <summary>Transposes the 16 x 16 floats at <paramref name="m"/> (row-major, 16 apart) in place with AVX2: as four
    /// 8 x 8 blocks, the diagonal ones in place and the other two swapped.</summary>
    internal static unsafe void Transpose16Avx2(float* m)
    {
        float* tmp = stackalloc float[64];
        Transpose8(m, 16, m, 16);                        // top left
        Transpose8(m + 8 * 16 + 8, 16, m + 8 * 16 + 8, 16); // bottom right
        Transpose8(m + 8, 16, tmp, 8);                   // top right, kept aside
        Transpose8(m + 8 * 16, 16, m + 8, 16);           // bottom left -> top right
        for (int r = 0; r < 8; r++) Vector256.Load(tmp + 8 * r).Store(m + (8 + r) * 16);
    }

    /// <summary>dst = srcᵀ for 8 x 8 floats (rows <paramref name="ss"/> and <paramref name="ds"/> apart; in place allowed:
    /// every row is loaded before any is stored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Transpose8(float* src, long ss, float* dst, long ds)
    {
        var r0 = Vector256.Load(src); var r1 = Vector256.Load(src + ss); var r2 = Vector256.Load(src + 2 * ss); var r3 = Vector256.Load(src + 3 * ss);
        var r4 = Vector256.Load(src + 4 * ss); var r5 = Vector256.Load(src + 5 * ss); var r6 = Vector256.Load(src + 6 * ss); var r7 = Vector256.Load(src + 7 * ss);
        Transpose8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        r0.Store(dst); r1.Store(dst + ds); r2.Store(dst + 2 * ds); r3.Store(dst + 3 * ds);
        r4.Store(dst + 4 * ds); r5.Store(dst + 5 * ds); r6.Store(dst + 6 * ds); r7.Store(dst + 7 * ds);
    }

    /// <summary>The 8 x 8 transpose in registers: row i of the input in r<c>i</c> becomes column i
    /// (VUNPCKLPS/VUNPCKHPS, VSHUFPS, then VPERM2F128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5); var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE); var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE); var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(s0, s4, 0x20); r1 = Avx.Permute2x128(s1, s5, 0x20);
        r2 = Avx.Permute2x128(s2, s6, 0x20); r3 = Avx.Permute2x128(s3, s7, 0x20);
        r4 = Avx.Permute2x128(s0, s4, 0x31); r5 = Avx.Permute2x128(s1, s5, 0x31);
        r6 = Avx.Permute2x128(s2, s6, 0x31); r7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}
