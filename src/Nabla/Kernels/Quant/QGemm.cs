using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels.Quant;

/// <summary>Which inner loop <see cref="QGemm"/> runs.</summary>
public enum QGemmPath
{
    /// <summary>The VNNI micro-kernel where the CPU has AVX-VNNI, else the scalar loop.</summary>
    Auto,

    /// <summary>The exact scalar loop (what CPUs without AVX-VNNI run).</summary>
    Scalar,
}

/// <summary>
/// int8 matrix product with int32 accumulation and a fused requantisation, as fbgemm and ONNX Runtime do it:
/// <c>acc[m, n] = Σ_k A[m, k]·W[n, k]</c> with A unsigned 8-bit (activations) and W signed 8-bit (weights, packed
/// once by <see cref="QWeights.Pack"/>), then <c>v = float(acc + bias[n]) · scale[n]</c> and either
/// <c>C[m, n] = clamp(round(v) + zeroPoint, 0, 255)</c> (u8 output) or <c>C[m, n] = v</c> (float output).
/// </summary>
/// <remarks>
/// With AVX-VNNI (<see cref="AvxVnni.IsSupported"/>) the micro-kernel does 6 rows × 16 columns with VPDPBUSD
/// (32 u8×s8 products summed into 8 int32 lanes per instruction); elsewhere an exact scalar loop computes the same
/// integers. The epilogue is written with the same float operations in both paths (int→float conversion, one
/// multiply, round half to even), so the two give bit-identical outputs. A's rows must hold
/// <see cref="QWeights.KPadded"/> readable bytes (the bytes past K are multiplied by zero weights).
/// </remarks>
public static class QGemm
{
    /// <summary>Rows per micro-tile.</summary>
    public const int MR = 6;

    /// <summary>Columns per micro-tile (two 8-lane int32 vectors).</summary>
    public const int NR = 16;

    private const int RowChunk = 96; // rows whose A stays in L2 while every column panel of W streams past

    /// <summary>True when the VNNI micro-kernel runs; false means the exact scalar loop.</summary>
    public static bool IsAccelerated => AvxVnni.IsSupported;

    /// <summary>
    /// C = requant(A·Wᵀ + bias) for rows [0, m) of A (<paramref name="lda"/> bytes apart) into u8 C
    /// (<paramref name="ldc"/> bytes apart), clamped to [0, 255] after adding <paramref name="zeroPoint"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the given sizes.</exception>
    public static void RunU8(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        int zeroPoint, Span<byte> c, int ldc, QGemmPath path = QGemmPath.Auto)
    {
        Check(m, a, lda, w, bias, scale, c.Length, ldc);
        Run(m, a, lda, w, bias, scale, zeroPoint, c, default, ldc, u8: true, path == QGemmPath.Auto && AvxVnni.IsSupported);
    }

    /// <summary>C = float(A·Wᵀ + bias)·scale (dequantised, e.g. the logits) for rows [0, m).</summary>
    /// <exception cref="ArgumentException">A span is too short for the given sizes.</exception>
    public static void RunF32(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        Span<float> c, int ldc, QGemmPath path = QGemmPath.Auto)
    {
        Check(m, a, lda, w, bias, scale, c.Length, ldc);
        Run(m, a, lda, w, bias, scale, 0, default, c, ldc, u8: false, path == QGemmPath.Auto && AvxVnni.IsSupported);
    }

    private static void Check(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int cLength, int ldc)
    {
        if (m == 0) return;
        if (lda < w.KPadded) throw new ArgumentException($"lda {lda} < padded K {w.KPadded}", nameof(lda));
        if (ldc < w.N) throw new ArgumentException($"ldc {ldc} < N {w.N}", nameof(ldc));
        if (a.Length < (long)(m - 1) * lda + w.KPadded) throw new ArgumentException("A is too short", nameof(a));
        if (cLength < (long)(m - 1) * ldc + w.N) throw new ArgumentException("C is too short", "c");
        if (bias.Length < w.N || scale.Length < w.N) throw new ArgumentException("bias and scale need N entries", nameof(bias));
    }

    private static unsafe void Run(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        int zeroPoint, Span<byte> cu8, Span<float> cf32, int ldc, bool u8, bool vnni)
    {
        if (m == 0 || w.N == 0) return;
        int* tile = stackalloc int[MR * NR];
        byte[]? tailRows = null;
        fixed (byte* pa = a)
        fixed (sbyte* pw = w.Packed)
        fixed (int* pb = bias)
        fixed (float* ps = scale)
        fixed (byte* pcu = cu8)
        fixed (float* pcf = cf32)
        {
            for (int m0 = 0; m0 < m; m0 += RowChunk)
            {
                int m1 = Math.Min(m, m0 + RowChunk);
                for (int nb = 0; nb < w.NPadded; nb += NR)
                {
                    sbyte* panel = pw + (long)nb * w.KPadded;
                    int nValid = Math.Min(NR, w.N - nb);
                    for (int r = m0; r < m1; r += MR)
                    {
                        int rValid = Math.Min(MR, m1 - r);
                        byte* ar = pa + (long)r * lda;
                        if (rValid < MR)
                        {
                            // The last rows: copy into a zero-padded block of MR rows so the kernel reads nothing past A.
                            tailRows ??= new byte[MR * w.KPadded];
                            Array.Clear(tailRows);
                            for (int i = 0; i < rValid; i++)
                                new ReadOnlySpan<byte>(ar + (long)i * lda, w.KPadded).CopyTo(tailRows.AsSpan(i * w.KPadded));
                            fixed (byte* pt = tailRows) Tile(pt, w.KPadded, panel, w.KPadded, tile, vnni);
                        }
                        else Tile(ar, lda, panel, w.KPadded, tile, vnni);
                        Epilogue(tile, rValid, nValid, pb + nb, ps + nb, zeroPoint, u8,
                            pcu + (long)r * ldc + nb, pcf + (long)r * ldc + nb, ldc);
                    }
                }
            }
        }
    }

    /// <summary>acc (MR×NR int32, row-major) = A[0..MR, 0..kp) · panel, the panel holding NR columns × 4 k per 64 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile(byte* a, int lda, sbyte* panel, int kp, int* acc, bool vnni)
    {
        if (vnni && AvxVnni.IsSupported)
        {
            var c00 = Vector256<int>.Zero; var c01 = Vector256<int>.Zero;
            var c10 = Vector256<int>.Zero; var c11 = Vector256<int>.Zero;
            var c20 = Vector256<int>.Zero; var c21 = Vector256<int>.Zero;
            var c30 = Vector256<int>.Zero; var c31 = Vector256<int>.Zero;
            var c40 = Vector256<int>.Zero; var c41 = Vector256<int>.Zero;
            var c50 = Vector256<int>.Zero; var c51 = Vector256<int>.Zero;
            byte* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
            for (int k = 0; k < kp; k += 4, panel += 4 * NR)
            {
                var b0 = Avx.LoadVector256(panel);
                var b1 = Avx.LoadVector256(panel + 32);
                var x = Vector256.Create(*(int*)(a0 + k)).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, b0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, b1);
                x = Vector256.Create(*(int*)(a1 + k)).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, b0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, b1);
                x = Vector256.Create(*(int*)(a2 + k)).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, b0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, b1);
                x = Vector256.Create(*(int*)(a3 + k)).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, b0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, b1);
                x = Vector256.Create(*(int*)(a4 + k)).AsByte();
                c40 = AvxVnni.MultiplyWideningAndAdd(c40, x, b0); c41 = AvxVnni.MultiplyWideningAndAdd(c41, x, b1);
                x = Vector256.Create(*(int*)(a5 + k)).AsByte();
                c50 = AvxVnni.MultiplyWideningAndAdd(c50, x, b0); c51 = AvxVnni.MultiplyWideningAndAdd(c51, x, b1);
            }
            c00.Store(acc); c01.Store(acc + 8); c10.Store(acc + 16); c11.Store(acc + 24);
            c20.Store(acc + 32); c21.Store(acc + 40); c30.Store(acc + 48); c31.Store(acc + 56);
            c40.Store(acc + 64); c41.Store(acc + 72); c50.Store(acc + 80); c51.Store(acc + 88);
            return;
        }
        for (int i = 0; i < MR * NR; i++) acc[i] = 0;
        for (int k = 0; k < kp; k += 4, panel += 4 * NR)
            for (int r = 0; r < MR; r++)
            {
                byte* ar = a + (long)r * lda + k;
                int* cr = acc + r * NR;
                for (int j = 0; j < NR; j++)
                {
                    sbyte* b = panel + 4 * j;
                    cr[j] += ar[0] * b[0] + ar[1] * b[1] + ar[2] * b[2] + ar[3] * b[3];
                }
            }
    }

    private static unsafe void Epilogue(int* acc, int rows, int cols, int* bias, float* scale, int zeroPoint, bool u8,
        byte* cu8, float* cf32, int ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            int* ar = acc + r * NR;
            int j = 0;
            if (Avx2.IsSupported)
                for (; j + 8 <= cols; j += 8)
                {
                    var v = Avx.Multiply(Avx.ConvertToVector256Single(Avx2.Add(Avx.LoadVector256(ar + j), Avx.LoadVector256(bias + j))),
                        Avx.LoadVector256(scale + j));
                    if (!u8) { v.Store(cf32 + (long)r * ldc + j); continue; }
                    var q = Avx2.Add(Avx.ConvertToVector256Int32(v), Vector256.Create(zeroPoint));
                    q = Avx2.Min(Avx2.Max(q, Vector256<int>.Zero), Vector256.Create(255));
                    var s16 = Avx2.PackSignedSaturate(q, q);                 // [q0..3 q0..3 | q4..7 q4..7] as int16
                    var s8 = Avx2.PackUnsignedSaturate(s16, s16);            // bytes 0..3 and 16..19 hold the values
                    *(uint*)(cu8 + (long)r * ldc + j) = s8.AsUInt32().GetElement(0);
                    *(uint*)(cu8 + (long)r * ldc + j + 4) = s8.AsUInt32().GetElement(4);
                }
            for (; j < cols; j++)
            {
                float v = (float)(ar[j] + bias[j]) * scale[j];
                if (u8) cu8[(long)r * ldc + j] = (byte)Math.Clamp((int)MathF.Round(v) + zeroPoint, 0, 255);
                else cf32[(long)r * ldc + j] = v;
            }
        }
    }
}
