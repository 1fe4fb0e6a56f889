using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Winograd
{
    /// <summary>Transposes the 16 x 16 matrix held in <paramref name="r"/>[0..15] (row i = r[i]) in place, with
    /// AVX-512 shuffles (4 stages of 16, all in registers), or with AVX2 as four 8 x 8 blocks
    /// (<see cref="Vector16.Transpose16Avx2"/>). Requires <see cref="Vector16.IsSupported"/>.</summary>
    internal static unsafe void Transpose16(Vector512<float>* r)
    {
        if (!Avx512F.IsSupported) { Vector16.Transpose16Avx2((float*)r); return; }
        var r0 = r[0];
        var r1 = r[1];
        var r2 = r[2];
        var r3 = r[3];
        var r4 = r[4];
        var r5 = r[5];
        var r6 = r[6];
        var r7 = r[7];
        var r8 = r[8];
        var r9 = r[9];
        var r10 = r[10];
        var r11 = r[11];
        var r12 = r[12];
        var r13 = r[13];
        var r14 = r[14];
        var r15 = r[15];
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
        r0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(); r1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        r2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(); r3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        r4 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle(); r5 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        r6 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle(); r7 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        r8 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle(); r9 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        r10 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle(); r11 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        r12 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle(); r13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        r14 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle(); r15 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD);
        t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD);
        t3 = Avx512F.Shuffle4x128(r3, r7, 0x88); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD);
        t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD);
        t11 = Avx512F.Shuffle4x128(r11, r15, 0x88); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        r[0] = Avx512F.Shuffle4x128(t0, t8, 0x88); r[4] = Avx512F.Shuffle4x128(t4, t12, 0x88);
        r[8] = Avx512F.Shuffle4x128(t0, t8, 0xDD); r[12] = Avx512F.Shuffle4x128(t4, t12, 0xDD);
        r[1] = Avx512F.Shuffle4x128(t1, t9, 0x88); r[5] = Avx512F.Shuffle4x128(t5, t13, 0x88);
        r[9] = Avx512F.Shuffle4x128(t1, t9, 0xDD); r[13] = Avx512F.Shuffle4x128(t5, t13, 0xDD);
        r[2] = Avx512F.Shuffle4x128(t2, t10, 0x88); r[6] = Avx512F.Shuffle4x128(t6, t14, 0x88);
        r[10] = Avx512F.Shuffle4x128(t2, t10, 0xDD); r[14] = Avx512F.Shuffle4x128(t6, t14, 0xDD);
        r[3] = Avx512F.Shuffle4x128(t3, t11, 0x88); r[7] = Avx512F.Shuffle4x128(t7, t15, 0x88);
        r[11] = Avx512F.Shuffle4x128(t3, t11, 0xDD); r[15] = Avx512F.Shuffle4x128(t7, t15, 0xDD);
    }

    /// <summary>The 6x6 input tiles of 16 lanes into <paramref name="blk"/>[8·row + column][lane]: two tile rows per
    /// vector (8 columns each, the last 2 zero), then three 16 x 16 transposes. Loads only the 6 columns a tile covers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GatherTiles(float* plane, int* offsets, int rowStride, Vector512<float>* blk)
    {
        var mask = Vector256.Create(-1, -1, -1, -1, -1, -1, 0, 0).AsSingle();
        for (int p = 0; p < 3; p++)
        {
            Vector512<float>* b = blk + p * Lanes;
            for (int l = 0; l < Lanes; l++)
            {
                float* d = plane + offsets[l] + 2 * p * rowStride;
                b[l] = Vector512.Create(Avx.MaskLoad(d, mask), Avx.MaskLoad(d + rowStride, mask));
            }
            Transpose16(b); // b[8·(row − 2p) + column]
        }
    }
}
