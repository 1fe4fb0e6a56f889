using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Winograd
{
    // F(4x4, 5x5) on 8x8 input tiles, on the points 0, 1, −1, 2, −2, 1/2, −1/2, ∞ (Toom-Cook, as Lavin & Gray's
    // F(6x6, 3x3), whose Bᵀ it shares since both read 8x8 tiles): y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A with
    // Aᵀ (4 x 8) column p = (1, p, p², p³), ∞ → (0, 0, 0, 1); G (8 x 5) row p = (1, p, p², p³, p⁴) / Π_{q≠p} (p − q);
    // Bᵀ row p the coefficients of Π_{q≠p} (x − q) (row ∞: of Π_q (x − q)); row 0 of Bᵀ and of G negated, which
    // leaves every product the same. 64 products for 16 outputs: 0.16 of the direct multiply-adds (F(2x2, 5x5): 0.36).
    private static readonly float[] G8 =
    [
        1f, 0, 0, 0, 0,
        -2 / 9f, -2 / 9f, -2 / 9f, -2 / 9f, -2 / 9f,
        -2 / 9f, 2 / 9f, -2 / 9f, 2 / 9f, -2 / 9f,
        1 / 90f, 1 / 45f, 2 / 45f, 4 / 45f, 8 / 45f,
        1 / 90f, -1 / 45f, 2 / 45f, -4 / 45f, 8 / 45f,
        32 / 45f, 16 / 45f, 8 / 45f, 4 / 45f, 2 / 45f,
        32 / 45f, -16 / 45f, 8 / 45f, -4 / 45f, 2 / 45f,
        0, 0, 0, 0, 1f,
    ];

    /// <summary>Inputs per tile side of F(4x4, 5x5).</summary>
    public const int TileIn8 = 8;

    /// <summary>Transformed positions per tile of F(4x4, 5x5) (64): the number of matrix products.</summary>
    public const int Positions8 = TileIn8 * TileIn8;

    /// <summary>Floats of the transformed weights of a C_out x C_in convolution for <see cref="Conv5x5F4"/>.</summary>
    public static int WeightLength8(int cout, int cin) => Positions8 * cout * cin;

    /// <summary>
    /// Transforms 5x5 kernels for <see cref="Conv5x5F4"/>: <c>u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]</c>, G the 8 x 5 matrix of
    /// F(4x4, 5x5), computed in float in a fixed order (rows of G·w, then its columns times Gᵀ).
    /// </summary>
    /// <param name="w">Weights (C_out, C_in, 5, 5).</param>
    /// <param name="cout">C_out.</param>
    /// <param name="cin">C_in.</param>
    /// <param name="u">Destination, <see cref="WeightLength8"/> floats.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span is too short.</exception>
    public static void TransformWeights5x5F4(ReadOnlySpan<float> w, int cout, int cin, Span<float> u) =>
        TransformWeights5(w, cout, cin, u, G8, TileIn8);

    /// <summary>
    /// A 5x5, stride-1 cross-correlation by F(4x4, 5x5):
    /// <c>y[b, o, i, j] = bias[o] + Σ_{c,a,e} x[b, c, i − ph + a, j − pw + e] · w[o, c, a, e]</c> (x zero outside its
    /// planes), ReLU applied when asked, for weights transformed by <see cref="TransformWeights5x5F4"/> into
    /// <paramref name="u"/>. The chunks, products and output stores of <see cref="Conv"/>, on 8x8 input tiles and 64
    /// positions: the results are the same for any <see cref="Workers.Count"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive or a span is too short.</exception>
    public static void Conv5x5F4(in Nabla.Kernels.Conv.ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> y, bool relu) =>
        RunConv(g, x, u, bias, y, accumulate: false, relu, TileOut, TileIn8);

    /// <summary>The 8x8 input tiles of 16 lanes into <paramref name="blk"/>[8·row + column][lane]: two tile rows per
    /// vector, then four 16 x 16 transposes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GatherTiles8(float* plane, int* offsets, int rowStride, Vector512<float>* blk)
    {
        for (int p = 0; p < 4; p++)
        {
            Vector512<float>* b = blk + p * Lanes;
            for (int l = 0; l < Lanes; l++)
            {
                float* d = plane + offsets[l] + 2 * p * rowStride;
                b[l] = Vector512.Create(Vector256.Load(d), Vector256.Load(d + rowStride));
            }
            Transpose16(b); // b[8·(row − 2p) + column]
        }
    }

    /// <summary>8 = Bᵀ·8 on vectors (in place allowed: every load precedes every store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputRow8(float* p, long ps, float* q, long qs)
    {
        var d0 = Vector512.Load(p); var d1 = Vector512.Load(p + ps); var d2 = Vector512.Load(p + 2 * ps); var d3 = Vector512.Load(p + 3 * ps);
        var d4 = Vector512.Load(p + 4 * ps); var d5 = Vector512.Load(p + 5 * ps); var d6 = Vector512.Load(p + 6 * ps); var d7 = Vector512.Load(p + 7 * ps);
        var c21 = Vector512.Create(21f / 4f); var m17 = Vector512.Create(-17f / 4f);
        var m52 = Vector512.Create(-5f / 2f); var half = Vector512.Create(0.5f); var two = Vector512.Create(2f);
        var r0 = Vector512.FusedMultiplyAdd(c21, d4 - d2, d0 - d6);
        var r7 = Vector512.FusedMultiplyAdd(c21, d3 - d5, d7 - d1);
        var a1 = Vector512.FusedMultiplyAdd(m17, d3, d1 + d5);                   // d1 − 17/4 d3 + d5
        var b1 = Vector512.FusedMultiplyAdd(m17, d4, d2 + d6);                   // d2 − 17/4 d4 + d6
        var a3 = Vector512.FusedMultiplyAdd(half, d1, Vector512.FusedMultiplyAdd(m52, d3, two * d5));   // d1/2 − 5/2 d3 + 2 d5
        var b3 = Vector512.FusedMultiplyAdd(Vector512.Create(0.25f), d2, Vector512.FusedMultiplyAdd(Vector512.Create(-1.25f), d4, d6)); // d2/4 − 5/4 d4 + d6
        var a5 = Vector512.FusedMultiplyAdd(two, d1, Vector512.FusedMultiplyAdd(m52, d3, half * d5));   // 2 d1 − 5/2 d3 + d5/2
        var b5 = Vector512.FusedMultiplyAdd(Vector512.Create(4f), d2, Vector512.FusedMultiplyAdd(Vector512.Create(-5f), d4, d6)); // 4 d2 − 5 d4 + d6
        r0.Store(q);
        (b1 + a1).Store(q + qs);
        (b1 - a1).Store(q + 2 * qs);
        (b3 + a3).Store(q + 3 * qs);
        (b3 - a3).Store(q + 4 * qs);
        (b5 + a5).Store(q + 5 * qs);
        (b5 - a5).Store(q + 6 * qs);
        r7.Store(q + 7 * qs);
    }

    /// <summary>4 = Aᵀ·8 on vectors for F(4x4, 5x5), plus <paramref name="add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputRow8(float* p, long ps, float* q, long qs, Vector512<float> add)
    {
        var m0 = Vector512.Load(p); var m1 = Vector512.Load(p + ps); var m2 = Vector512.Load(p + 2 * ps); var m3 = Vector512.Load(p + 3 * ps);
        var m4 = Vector512.Load(p + 4 * ps); var m5 = Vector512.Load(p + 5 * ps); var m6 = Vector512.Load(p + 6 * ps); var m7 = Vector512.Load(p + 7 * ps);
        var s12 = m1 + m2; var d12 = m1 - m2; var s34 = m3 + m4; var d34 = m3 - m4; var s56 = m5 + m6; var d56 = m5 - m6;
        (m0 + s12 + s34 + s56 + add).Store(q);
        (Vector512.FusedMultiplyAdd(Vector512.Create(2f), d34, Vector512.FusedMultiplyAdd(Vector512.Create(0.5f), d56, d12)) + add).Store(q + qs);
        (Vector512.FusedMultiplyAdd(Vector512.Create(4f), s34, Vector512.FusedMultiplyAdd(Vector512.Create(0.25f), s56, s12)) + add).Store(q + 2 * qs);
        (Vector512.FusedMultiplyAdd(Vector512.Create(8f), d34, Vector512.FusedMultiplyAdd(Vector512.Create(0.125f), d56, d12)) + m7 + add).Store(q + 3 * qs);
    }

    /// <summary>8 = A·4 on vectors for F(4x4, 5x5) (the adjoint of <see cref="OutputRow8"/>): at each point p,
    /// g0 + p·g1 + p²·g2 + p³·g3, and g3 at ∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GradRow8(float* p, long ps, float* q, long qs)
    {
        var g0 = Vector512.Load(p); var g1 = Vector512.Load(p + ps); var g2 = Vector512.Load(p + 2 * ps); var g3 = Vector512.Load(p + 3 * ps);
        var e1 = g0 + g2; var o1 = g1 + g3;
        var e2 = Vector512.FusedMultiplyAdd(Vector512.Create(4f), g2, g0);
        var o2 = Vector512.FusedMultiplyAdd(Vector512.Create(8f), g3, g1 + g1);
        var eh = Vector512.FusedMultiplyAdd(Vector512.Create(0.25f), g2, g0);
        var oh = Vector512.FusedMultiplyAdd(Vector512.Create(0.125f), g3, g1 * Vector512.Create(0.5f));
        g0.Store(q);
        (e1 + o1).Store(q + qs);
        (e1 - o1).Store(q + 2 * qs);
        (e2 + o2).Store(q + 3 * qs);
        (e2 - o2).Store(q + 4 * qs);
        (eh + oh).Store(q + 5 * qs);
        (eh - oh).Store(q + 6 * qs);
        g3.Store(q + 7 * qs);
    }

    /// <summary>8 = B·8 on vectors for F(4x4, 5x5) (the adjoint of <see cref="InputRow8"/>): <c>q_j = Σ_i Bᵀ[i][j] p_i</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AdjointRow8(float* p, long ps, float* q, long qs)
    {
        var v0 = Vector512.Load(p); var v1 = Vector512.Load(p + ps); var v2 = Vector512.Load(p + 2 * ps); var v3 = Vector512.Load(p + 3 * ps);
        var v4 = Vector512.Load(p + 4 * ps); var v5 = Vector512.Load(p + 5 * ps); var v6 = Vector512.Load(p + 6 * ps); var v7 = Vector512.Load(p + 7 * ps);
        var s12 = v1 + v2; var d12 = v1 - v2; var s34 = v3 + v4; var d34 = v3 - v4; var s56 = v5 + v6; var d56 = v5 - v6;
        var c21 = Vector512.Create(21f / 4f); var m17 = Vector512.Create(-17f / 4f); var m52 = Vector512.Create(-5f / 2f);
        var half = Vector512.Create(0.5f); var two = Vector512.Create(2f);
        v0.Store(q);
        (Vector512.FusedMultiplyAdd(half, d34, Vector512.FusedMultiplyAdd(two, d56, d12)) - v7).Store(q + qs);
        Vector512.FusedMultiplyAdd(-c21, v0, Vector512.FusedMultiplyAdd(Vector512.Create(0.25f), s34, Vector512.FusedMultiplyAdd(Vector512.Create(4f), s56, s12))).Store(q + 2 * qs);
        Vector512.FusedMultiplyAdd(m17, d12, Vector512.FusedMultiplyAdd(m52, d34 + d56, c21 * v7)).Store(q + 3 * qs);
        Vector512.FusedMultiplyAdd(c21, v0, Vector512.FusedMultiplyAdd(m17, s12, Vector512.FusedMultiplyAdd(Vector512.Create(-1.25f), s34, Vector512.Create(-5f) * s56))).Store(q + 4 * qs);
        (Vector512.FusedMultiplyAdd(two, d34, Vector512.FusedMultiplyAdd(half, d56, d12)) - c21 * v7).Store(q + 5 * qs);
        ((s12 + s34 + s56) - v0).Store(q + 6 * qs);
        v7.Store(q + 7 * qs);
    }
}
