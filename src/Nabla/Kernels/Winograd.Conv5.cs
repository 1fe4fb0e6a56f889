using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

public static partial class Winograd
{
    // F(2x2, 5x5) on the same points as F(4x4, 3x3) (0, 1, −1, 2, −2, ∞), so the same 6x6 input transform Bᵀ:
    // y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A with G (6 x 5) row p = c_p·(1, p, p², p³, p⁴) (c_p as in F(4x4, 3x3)'s G) and
    // Aᵀ (2 x 6) column p = (1, p), ∞ → (0, 1). 36 products for 4 outputs against 100 multiply-adds directly.
    private static readonly float[] G5 =
    [
        1 / 4f, 0, 0, 0, 0,
        -1 / 6f, -1 / 6f, -1 / 6f, -1 / 6f, -1 / 6f,
        -1 / 6f, 1 / 6f, -1 / 6f, 1 / 6f, -1 / 6f,
        1 / 24f, 2 / 24f, 4 / 24f, 8 / 24f, 16 / 24f,
        1 / 24f, -2 / 24f, 4 / 24f, -8 / 24f, 16 / 24f,
        0, 0, 0, 0, 1,
    ];

    /// <summary>Outputs per tile side of F(2x2, 5x5).</summary>
    public const int TileOut5 = 2;

    /// <summary>Tiles per chunk F(2x2, 5x5) aims for (within the same float budget as F(4x4, 3x3)'s).</summary>
    private const int TargetTiles5 = 256;

    /// <summary>
    /// Transforms 5x5 kernels for <see cref="Conv5x5"/>: <c>u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]</c>, G the 6 x 5 matrix of
    /// F(2x2, 5x5), computed in float in a fixed order (rows of G·w, then its columns times Gᵀ).
    /// </summary>
    /// <param name="w">Weights (C_out, C_in, 5, 5).</param>
    /// <param name="cout">C_out.</param>
    /// <param name="cin">C_in.</param>
    /// <param name="u">Destination, <see cref="WeightLength"/> floats.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span is too short.</exception>
    public static void TransformWeights5x5(ReadOnlySpan<float> w, int cout, int cin, Span<float> u) =>
        TransformWeights5(w, cout, cin, u, G5, TileIn);

    /// <summary><c>u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]</c> for 5x5 kernels and a <paramref name="tileIn"/> x 5 matrix
    /// <paramref name="gm"/> (row-major), in float in a fixed order: rows of G·w, then its columns times Gᵀ.</summary>
    private static void TransformWeights5(ReadOnlySpan<float> w, int cout, int cin, Span<float> u, float[] gm, int tileIn)
    {
        if (cout <= 0 || cin <= 0) throw new ArgumentException($"Winograd: channels must be positive, got C_out={cout} C_in={cin}");
        long kernels = (long)cout * cin;
        if (w.Length < kernels * 25) throw new ArgumentException($"Winograd: weights need {kernels * 25} floats, span has {w.Length}");
        if (u.Length < kernels * tileIn * tileIn) throw new ArgumentException($"Winograd: transformed weights need {kernels * tileIn * tileIn} floats, span has {u.Length}");
        unsafe
        {
            fixed (float* pw = w, pu = u)
            {
                var job = (W: (nint)pw, U: (nint)pu, Kernels: (int)kernels, Parts: (int)Math.Min(kernels, 16), G: gm, In: tileIn);
                Workers.Run(job.Parts, job, static (j, part) =>
                {
                    var (k0, k1) = Workers.Share(j.Kernels, j.Parts, part);
                    int n = j.In;
                    Span<float> gw = stackalloc float[TileIn8 * 5];
                    for (int k = k0; k < k1; k++)
                    {
                        float* g = (float*)j.W + (long)k * 25;
                        for (int r = 0; r < n; r++) // (G g)[r][b] = Σ_a G[r][a] g[a][b]
                            for (int b = 0; b < 5; b++)
                            {
                                float sum = 0f;
                                for (int a = 0; a < 5; a++) sum += j.G[r * 5 + a] * g[a * 5 + b];
                                gw[r * 5 + b] = sum;
                            }
                        for (int r = 0; r < n; r++) // ((G g) Gᵀ)[r][q] = Σ_b (G g)[r][b] G[q][b]
                            for (int q = 0; q < n; q++)
                            {
                                float sum = 0f;
                                for (int b = 0; b < 5; b++) sum += gw[r * 5 + b] * j.G[q * 5 + b];
                                ((float*)j.U)[(long)(r * n + q) * j.Kernels + k] = sum;
                            }
                    }
                });
            }
        }
    }

    /// <summary>
    /// A 5x5, stride-1 cross-correlation by F(2x2, 5x5):
    /// <c>y[b, o, i, j] = bias[o] + Σ_{c,a,e} x[b, c, i − ph + a, j − pw + e] · w[o, c, a, e]</c> (x zero outside its
    /// planes), ReLU applied when asked, for weights transformed by <see cref="TransformWeights5x5"/> into
    /// <paramref name="u"/>. The same chunks, input transform and products as <see cref="Conv"/>, with 2x2 output
    /// tiles: the results are the same for any <see cref="Workers.Count"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive or a span is too short.</exception>
    public static void Conv5x5(in Nabla.Kernels.Conv.ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> y, bool relu)
    {
        RunConv(g, x, u, bias, y, accumulate: false, relu, TileOut5, TileIn);
    }

    /// <summary>2 = Aᵀ·6 on vectors for F(2x2, 5x5), plus <paramref name="add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputRow2(float* p, long ps, float* q, long qs, Vector512<float> add)
    {
        var m0 = Vector512.Load(p); var m1 = Vector512.Load(p + ps); var m2 = Vector512.Load(p + 2 * ps);
        var m3 = Vector512.Load(p + 3 * ps); var m4 = Vector512.Load(p + 4 * ps); var m5 = Vector512.Load(p + 5 * ps);
        (m0 + (m1 + m2) + (m3 + m4) + add).Store(q);
        (Vector512.FusedMultiplyAdd(Vector512.Create(2f), m3 - m4, m1 - m2) + m5 + add).Store(q + qs);
    }

    /// <summary>6 = A·2 on vectors for F(2x2, 5x5) (the adjoint of <see cref="OutputRow2"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GradRow2(float* p, long ps, float* q, long qs)
    {
        var g0 = Vector512.Load(p); var g1 = Vector512.Load(p + ps);
        StoreAtNodes(q, qs, g0, g0, g1, g0, g1 + g1, g1);
    }

    /// <summary>5 = Gᵀ·n on vectors for a 5-column G of <paramref name="rows"/> rows (<see cref="G5"/>: F(2x2, 5x5),
    /// <see cref="G8"/>: F(4x4, 5x5)): q[a] = Σ_r G[r][a]·p[r], r in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void FilterRow5(float* p, long ps, float* q, long qs, float[] gm, int rows)
    {
        for (int a = 0; a < 5; a++)
        {
            var sum = Vector512<float>.Zero;
            for (int r = 0; r < rows; r++)
            {
                float c = gm[r * 5 + a];
                if (c != 0f) sum = Vector512.FusedMultiplyAdd(Vector512.Create(c), Vector512.Load(p + r * ps), sum);
            }
            sum.Store(q + a * qs);
        }
    }
}
