using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Winograd
{
    [ThreadStatic] private static float[]? t_stageG, t_du;

    /// <summary>How many partial sums <see cref="FilterGrad"/> writes: its chunks (those of <see cref="Conv"/> for
    /// the same shape) split into at most <paramref name="maxSlots"/> runs. A function of the shape only.</summary>
    public static int FilterGradSlots(int n, int cin, int cout, int oh, int ow, int maxSlots, int kernel = 3, int tileOut = 0)
    {
        var s = Shape(Math.Max(1, n), cin, 1, 1, cout, oh, ow, 0, 0, kernel, tileOut);
        return Math.Clamp(s.Chunks, 1, Math.Max(1, maxSlots));
    }

    /// <summary>The shape of a call with a <paramref name="kernel"/> x <paramref name="kernel"/> kernel on tiles of
    /// <paramref name="tileOut"/> outputs a side (0: the kernel's usual, 4 for 3x3 and 2 for 5x5).</summary>
    private static ConvShape Shape(int n, int cin, int h, int w, int cout, int oh, int ow, int ph, int pw, int kernel, int tileOut)
    {
        int outSide = tileOut != 0 ? tileOut : kernel == 5 ? TileOut5 : TileOut;
        return new ConvShape(n, cin, h, w, cout, oh, ow, ph, pw, outSide, outSide + kernel - 1);
    }

    /// <summary>
    /// The weight gradient of a 3x3 stride-1 convolution by F(4x4, 3x3):
    /// <c>dW[o, c, a, e] = Σ_{b,i,j} dY[b, o, i, j] · x[b, c, i − ph + a, j − pw + e]</c>, as the adjoint of
    /// <see cref="Conv"/>: per position ξ, <c>dU[ξ] = dM[ξ]·V[ξ]ᵀ</c> with <c>dM = A dY Aᵀ</c> and <c>V = Bᵀ x B</c>
    /// per tile, then <c>dW = Gᵀ dU G</c>.
    /// </summary>
    /// <remarks>Chunks of images are split into <paramref name="slots"/> fixed runs (see
    /// <see cref="FilterGradSlots"/>); run s sums its chunks in order and writes its transformed sum to partial s.
    /// Adding the partials in order gives the same bits for any <see cref="Workers.Count"/>.</remarks>
    /// <param name="g">The sizes (N, C_in, H, W, C_out, OH, OW, padding), validated at the op boundary; OH and OW may be any.</param>
    /// <param name="x">Input (N, C_in, H, W).</param>
    /// <param name="dy">Output gradient (N, C_out, OH, OW).</param>
    /// <param name="slots">Partial sums, from <see cref="FilterGradSlots"/>.</param>
    /// <param name="partials">slots x C_out·C_in·9 floats, each partial overwritten.</param>
    /// <exception cref="ArgumentException">A size is not positive, slots is not the value of <see cref="FilterGradSlots"/> for some bound, or a span is too short.</exception>
    public static void FilterGrad(in Nabla.Kernels.Conv.ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int slots, Span<float> partials)
    {
        if (partials.IsEmpty) throw new ArgumentException("Winograd: partials need at least one slot of C_out·C_in·9 floats, span is empty");
        Backward(g, x, dy, default, default, default, slots, partials);
    }

    /// <summary>dM[ξ][o][tile] = (A dY Aᵀ)[ξ] for the <paramref name="tileOut"/> x <paramref name="tileOut"/> gradient tile
    /// of every tile and output channel (4 for F(4x4, 3x3), 2 for F(2x2, 5x5)); with <c>relu</c> (the forward's ReLU
    /// outputs, laid out as <c>src</c>) dY passes only where they are positive, as <see cref="Activation.ReluMask"/>.</summary>
    private static unsafe void GradTransform(float* src, float* relu, int cout, int planeStride, int rowStride, int* off, int t16, float* m, long xiStride,
        int tileOut = TileOut, int tileIn = TileIn)
    {
        Vector512<float>* blk = stackalloc Vector512<float>[Lanes];
        float* outv = (float*)blk;
        float* tmp = stackalloc float[TileIn8 * TileOut * Lanes];
        bool shuffles = Vector16.IsSupported && tileOut == TileOut; // 4x4 tiles gather as 16 lanes of one register each
        for (int o = 0; o < cout; o++)
        {
            float* plane = src + (long)o * planeStride;
            float* yPlane = relu == null ? null : relu + (long)o * planeStride;
            for (int g = 0; g < t16; g += Lanes)
            {
                if (shuffles)
                {
                    for (int l = 0; l < Lanes; l++)
                    {
                        float* d = plane + off[g + l];
                        var tile = Vector512.Create(
                            Vector256.Create(Vector128.Load(d), Vector128.Load(d + rowStride)),
                            Vector256.Create(Vector128.Load(d + 2 * rowStride), Vector128.Load(d + 3 * rowStride)));
                        if (yPlane != null)
                        {
                            float* y = yPlane + off[g + l];
                            var yt = Vector512.Create(
                                Vector256.Create(Vector128.Load(y), Vector128.Load(y + rowStride)),
                                Vector256.Create(Vector128.Load(y + 2 * rowStride), Vector128.Load(y + 3 * rowStride)));
                            tile = Vector512.ConditionalSelect(Vector512.GreaterThan(yt, Vector512<float>.Zero), tile, Vector512<float>.Zero);
                        }
                        blk[l] = tile;
                    }
                    Transpose16(blk); // blk[4·row + column][lane]
                }
                else
                {
                    for (int l = 0; l < Lanes; l++)
                    {
                        float* d = plane + off[g + l];
                        float* y = yPlane == null ? null : yPlane + off[g + l];
                        for (int r = 0; r < tileOut; r++)
                            for (int e = 0; e < tileOut; e++)
                                outv[(r * tileOut + e) * Lanes + l] = y == null || y[r * rowStride + e] > 0f ? d[r * rowStride + e] : 0f;
                    }
                }
                // A along the rows: column e of tileOut -> 6 into tmp[k][e], then each row k of tileOut -> 6 positions.
                float* dst = m + (long)o * t16 + g;
                if (tileIn == TileIn8)
                {
                    for (int e = 0; e < TileOut; e++) GradRow8(outv + e * Lanes, TileOut * Lanes, tmp + e * Lanes, TileOut * Lanes);
                    for (int k = 0; k < TileIn8; k++) GradRow8(tmp + k * TileOut * Lanes, Lanes, dst + k * TileIn8 * xiStride, xiStride);
                }
                else if (tileOut == TileOut)
                {
                    for (int e = 0; e < TileOut; e++) GradRow(outv + e * Lanes, TileOut * Lanes, tmp + e * Lanes, TileOut * Lanes);
                    for (int k = 0; k < TileIn; k++) GradRow(tmp + k * TileOut * Lanes, Lanes, dst + k * TileIn * xiStride, xiStride);
                }
                else
                {
                    for (int e = 0; e < TileOut5; e++) GradRow2(outv + e * Lanes, TileOut5 * Lanes, tmp + e * Lanes, TileOut5 * Lanes);
                    for (int k = 0; k < TileIn; k++) GradRow2(tmp + k * TileOut5 * Lanes, Lanes, dst + k * TileIn * xiStride, xiStride);
                }
            }
        }
    }

    /// <summary>6 = A·4 on vectors (the adjoint of <see cref="OutputRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GradRow(float* p, long ps, float* q, long qs)
    {
        var g0 = Vector512.Load(p); var g1 = Vector512.Load(p + ps); var g2 = Vector512.Load(p + 2 * ps); var g3 = Vector512.Load(p + 3 * ps);
        var even = g0 + g2; var odd = g1 + g3;
        var even4 = Vector512.FusedMultiplyAdd(Vector512.Create(4f), g2, g0);
        var odd4 = Vector512.FusedMultiplyAdd(Vector512.Create(8f), g3, g1 + g1);
        StoreAtNodes(q, qs, g0, even, odd, even4, odd4, g3);
    }

    /// <summary>The six rows of A·g for the interpolation points 0, 1, −1, 2, −2 and ∞ that F(4x4, 3x3) and F(2x2, 5x5)
    /// share: <paramref name="at0"/>, e1 ± o1, e2 ± o2, <paramref name="atInf"/>, where e and o are the sums of g's even
    /// and odd powers at the point 1 or 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreAtNodes(float* q, long qs, Vector512<float> at0, Vector512<float> e1, Vector512<float> o1,
        Vector512<float> e2, Vector512<float> o2, Vector512<float> atInf)
    {
        at0.Store(q);
        (e1 + o1).Store(q + qs);
        (e1 - o1).Store(q + 2 * qs);
        (e2 + o2).Store(q + 3 * qs);
        (e2 - o2).Store(q + 4 * qs);
        atInf.Store(q + 5 * qs);
    }

    /// <summary>dW[i] = Gᵀ dU[·][i] G for each of the <paramref name="kernels"/> (C_out·C_in) kernels, 16 at a time:
    /// 6x6 → 3x3 for F(4x4, 3x3), 6x6 → 5x5 for F(2x2, 5x5) (<paramref name="k"/> = 5), 8x8 → 5x5 for F(4x4, 5x5)
    /// (<paramref name="tileIn"/> = 8).</summary>
    private static unsafe void FilterTransform(float* du, int kernels, float* dw, int k = 3, int tileIn = TileIn)
    {
        int taps = k * k, positions = tileIn * tileIn;
        float[] gm = tileIn == TileIn8 ? G8 : G5;
        float* buf = stackalloc float[Positions8 * Lanes];
        float* tmp = stackalloc float[TileIn8 * 5 * Lanes];
        float* outv = stackalloc float[25 * Lanes];
        for (int i0 = 0; i0 < kernels; i0 += Lanes)
        {
            int live = Math.Min(Lanes, kernels - i0);
            for (int x = 0; x < positions; x++)
            {
                float* q = buf + x * Lanes;
                if (live == Lanes) Vector512.Load(du + (long)x * kernels + i0).Store(q);
                else for (int l = 0; l < Lanes; l++) q[l] = l < live ? du[(long)x * kernels + i0 + l] : 0f;
            }
            for (int r = 0; r < tileIn; r++) // along columns: [r][e]
                if (k == 5) FilterRow5(buf + r * tileIn * Lanes, Lanes, tmp + r * 5 * Lanes, Lanes, gm, tileIn);
                else FilterRow(buf + r * TileIn * Lanes, Lanes, tmp + r * 3 * Lanes, Lanes);
            for (int e = 0; e < k; e++) // along rows: [a][e]
                if (k == 5) FilterRow5(tmp + e * Lanes, 5 * Lanes, outv + e * Lanes, 5 * Lanes, gm, tileIn);
                else FilterRow(tmp + e * Lanes, 3 * Lanes, outv + e * Lanes, 3 * Lanes);
            for (int l = 0; l < live; l++)
            {
                float* d = dw + (long)(i0 + l) * taps;
                for (int tap = 0; tap < taps; tap++) d[tap] = outv[tap * Lanes + l];
            }
        }
    }

    /// <summary>3 = Gᵀ·6 on vectors (the adjoint of <see cref="WeightRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void FilterRow(float* p, long ps, float* q, long qs)
    {
        var d0 = Vector512.Load(p); var d1 = Vector512.Load(p + ps); var d2 = Vector512.Load(p + 2 * ps);
        var d3 = Vector512.Load(p + 3 * ps); var d4 = Vector512.Load(p + 4 * ps); var d5 = Vector512.Load(p + 5 * ps);
        var sixth = Vector512.Create(1f / 6f);
        var s12 = d1 + d2; var s34 = d3 + d4;
        ((d0 * Vector512.Create(0.25f)) - (s12 * sixth) + (s34 * Vector512.Create(1f / 24f))).Store(q);
        (((d2 - d1) * sixth) + ((d3 - d4) * Vector512.Create(1f / 12f))).Store(q + qs);
        (((s34 - s12) * sixth) + d5).Store(q + 2 * qs);
    }
}
