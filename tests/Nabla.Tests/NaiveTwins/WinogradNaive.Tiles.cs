using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The Winograd transforms as plain loops, for F(2x2, 3x3) and F(4x4, 3x3): the twin of the fast F(4x4, 3x3)
/// path, and F(2x2, 3x3) to measure how much accuracy the larger tile costs.</summary>
internal static partial class WinogradNaive
{
    // The transform matrices, row-major (Lavin & Gray 2016). F(2x2,3x3) is kept for the naive twin, so the
    // accuracy of both can be measured; the fast path is F(4x4,3x3).
    private static readonly float[] BT2 = [1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1];
    private static readonly float[] G2 = [1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0, 0, 1];
    private static readonly float[] AT2 = [1, 1, 1, 0, 0, 1, -1, -1];

    private static readonly float[] BT4 =
    [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ];
    private static readonly float[] G4 =
    [
        1 / 4f, 0, 0,
        -1 / 6f, -1 / 6f, -1 / 6f,
        -1 / 6f, 1 / 6f, -1 / 6f,
        1 / 24f, 1 / 12f, 1 / 6f,
        1 / 24f, -1 / 12f, 1 / 6f,
        0, 0, 1,
    ];
    private static readonly float[] AT4 =
    [
        1, 1, 1, 1, 1, 0,
        0, 1, -1, 2, -2, 0,
        0, 1, 1, 4, 4, 0,
        0, 1, -1, 8, -8, 1,
    ];

    private static (float[] BT, float[] G, float[] AT) Matrices(int tileOut) => tileOut switch
    {
        2 => (BT2, G2, AT2),
        4 => (BT4, G4, AT4),
        _ => throw new ArgumentException($"Winograd: tile output size must be 2 or 4, got {tileOut}"),
    };

    /// <summary>The reference of <see cref="Winograd.TransformWeights"/>: plain loops over the matrices, in float, for
    /// F(<paramref name="tileOut"/> x <paramref name="tileOut"/>, 3x3) (2 or 4); (tileOut+2)² positions.</summary>
    /// <exception cref="ArgumentException">A size is not positive, a span is too short or tileOut is not 2 or 4.</exception>
    internal static void TransformWeights(ReadOnlySpan<float> w, int cout, int cin, bool flipTranspose, Span<float> u, int tileOut = Winograd.TileOut)
    {
        var (_, gm, _) = Matrices(tileOut);
        int alpha = tileOut + 2, pos = alpha * alpha;
        if (cout <= 0 || cin <= 0) throw new ArgumentException($"Winograd: channels must be positive, got C_out={cout} C_in={cin}");
        if (w.Length < cout * cin * 9 || u.Length < pos * cout * cin) throw new ArgumentException("Winograd: span too short");
        int rows = flipTranspose ? cin : cout, cols = flipTranspose ? cout : cin;
        var g = new float[9];
        var gg = new float[alpha * 3];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int o = flipTranspose ? c : r, ci = flipTranspose ? r : c;
                for (int t = 0; t < 9; t++) g[t] = w[(o * cin + ci) * 9 + (flipTranspose ? 8 - t : t)];
                for (int k = 0; k < alpha; k++)
                    for (int b = 0; b < 3; b++)
                    {
                        float sum = 0;
                        for (int a = 0; a < 3; a++) sum += gm[k * 3 + a] * g[a * 3 + b];
                        gg[k * 3 + b] = sum;
                    }
                for (int k = 0; k < alpha; k++)
                    for (int l = 0; l < alpha; l++)
                    {
                        float sum = 0;
                        for (int b = 0; b < 3; b++) sum += gg[k * 3 + b] * gm[l * 3 + b];
                        u[((k * alpha + l) * rows + r) * cols + c] = sum;
                    }
            }
    }

    /// <summary>The reference of <see cref="Winograd.Conv"/> (same contract), tile by tile with plain loops in float for
    /// F(<paramref name="tileOut"/> x <paramref name="tileOut"/>, 3x3); <paramref name="u"/> from
    /// <see cref="TransformWeights"/> with the same tileOut.</summary>
    /// <exception cref="ArgumentException">A size is not positive, a span is too short or tileOut is not 2 or 4.</exception>
    internal static void Conv(ReadOnlySpan<float> x, int n, int cin, int h, int w, ReadOnlySpan<float> u, int cout,
        int oh, int ow, int ph, int pw, ReadOnlySpan<float> bias, Span<float> y, bool accumulate, int tileOut = Winograd.TileOut, bool relu = false)
    {
        if (relu && accumulate) throw new ArgumentException("Winograd: relu applies to stored outputs, not with accumulate");
        var (bt, _, at) = Matrices(tileOut);
        int alpha = tileOut + 2, pos = alpha * alpha;
        if (n < 0 || cin <= 0 || h <= 0 || w <= 0 || cout <= 0 || oh <= 0 || ow <= 0) throw new ArgumentException("Winograd: sizes must be positive");
        if (x.Length < n * cin * h * w || u.Length < pos * cout * cin || y.Length < n * cout * oh * ow) throw new ArgumentException("Winograd: span too short");
        var d = new float[pos];
        var tmp = new float[pos];
        var v = new float[cin * pos];
        var mm = new float[pos];
        var mt = new float[tileOut * alpha];
        for (int b = 0; b < n; b++)
            for (int th = 0; th < oh; th += tileOut)
                for (int tw = 0; tw < ow; tw += tileOut)
                {
                    for (int c = 0; c < cin; c++)
                    {
                        for (int a = 0; a < alpha; a++)
                            for (int e = 0; e < alpha; e++)
                            {
                                int r = th - ph + a, q = tw - pw + e;
                                d[a * alpha + e] = r >= 0 && r < h && q >= 0 && q < w ? x[((b * cin + c) * h + r) * w + q] : 0f;
                            }
                        MatMul(bt, alpha, alpha, d, alpha, false, tmp);          // Bᵀ d
                        MatMul(tmp, alpha, alpha, bt, alpha, true, v.AsSpan(c * pos, pos)); // (Bᵀ d) B
                    }
                    for (int o = 0; o < cout; o++)
                    {
                        for (int xi = 0; xi < pos; xi++)
                        {
                            float sum = 0;
                            for (int c = 0; c < cin; c++) sum += u[(xi * cout + o) * cin + c] * v[c * pos + xi];
                            mm[xi] = sum;
                        }
                        MatMul(at, tileOut, alpha, mm, alpha, false, mt);            // Aᵀ m
                        for (int r = 0; r < tileOut && th + r < oh; r++)
                            for (int s = 0; s < tileOut && tw + s < ow; s++)
                            {
                                float sum = 0;
                                for (int e = 0; e < alpha; e++) sum += mt[r * alpha + e] * at[s * alpha + e]; // (Aᵀ m) A
                                if (!bias.IsEmpty) sum += bias[o];
                                if (relu) sum = Math.Max(sum, 0f);
                                ref float dst = ref y[((b * cout + o) * oh + th + r) * ow + tw + s];
                                dst = accumulate ? dst + sum : sum;
                            }
                    }
                }
    }

    /// <summary>c (rows x cols) = a (rows x inner) · op(b), op(b) = b (inner x cols) or bᵀ (b stored cols x inner).</summary>
    private static void MatMul(ReadOnlySpan<float> a, int rows, int inner, ReadOnlySpan<float> b, int cols, bool transB, Span<float> c)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                float sum = 0;
                for (int k = 0; k < inner; k++) sum += a[i * inner + k] * (transB ? b[j * inner + k] : b[k * cols + j]);
                c[i * cols + j] = sum;
            }
    }
}
