using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// Winograd F(4x4, 3x3) convolution for 3x3 kernels, stride 1, dilation 1, one group (Lavin &amp; Gray, 2016):
/// each 4x4 block of outputs is <c>Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A</c> over a 6x6 input tile d, so the products
/// over channels become 36 independent matrix products (one per transformed position ξ) of 4x fewer
/// multiply-adds than the direct convolution.
/// </summary>
/// <remarks>
/// Layouts are NCHW as elsewhere. The weight transform <see cref="TransformWeights"/> gives
/// <c>u[ξ][o][c]</c> (36 matrices of C_out x C_in); <see cref="Conv"/> transforms chunks of whole images into
/// <c>v[ξ][c][tile]</c>, runs the 36 products <c>m[ξ] = u[ξ]·v[ξ]</c> with <see cref="Gemm.Sgemm(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, float)"/> and
/// transforms <c>m</c> back into outputs. Chunks are a function of the shape only and every output element is
/// computed by the same operations whichever thread runs its chunk, so results are bit-identical for any
/// <see cref="Workers.Count"/>. The transforms use Vector512 across 16 tiles (or 16 kernels); where Vector512
/// is not hardware-accelerated they run as pairs of 256-bit halves (AVX2), and where neither is they still work
/// (emulated), but <see cref="IsAccelerated"/> tells callers to prefer another path. The naive twins are in the tests (<c>NaiveTwins/WinogradNaive*.cs</c>). <c>Winograd.Conv5.cs</c> adds F(2x2, 5x5)
/// for 5x5 kernels on the same points, sharing the input transform, the chunks and the products.
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit] // the stack scratch is always written before it is read
public static partial class Winograd
{
    /// <summary>Outputs per tile side (m of F(m x m, 3x3)).</summary>
    public const int TileOut = 4;
    /// <summary>Inputs per tile side (m + 2).</summary>
    public const int TileIn = TileOut + 2;
    /// <summary>Transformed positions per tile (36): the number of matrix products.</summary>
    public const int Positions = TileIn * TileIn;

    private const int Lanes = 16;

    /// <summary>Whether the transforms run on hardware vectors here (otherwise prefer im2col): 512-bit ones, or 256-bit
    /// ones (AVX2 with FMA), on which each Vector512 operation runs as two 256-bit halves. Measured on an AVX2-only Zen 3,
    /// alexnet-mnist trains 2.2x and infers 2.8x faster through Winograd than through im2col.</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated || (Avx2.IsSupported && Fma.IsSupported);

    /// <summary>Tiles per chunk the products aim for, and the most floats one chunk's transformed inputs and
    /// outputs may take.</summary>
    private const int TargetTiles = 128, ChunkBudgetFloats = 3 << 20;

    /// <summary>Floats of the transformed weights of a C_out x C_in convolution.</summary>
    public static int WeightLength(int cout, int cin) => Positions * cout * cin;

    /// <summary>Tiles along one output side.</summary>
    public static int Tiles(int outSize) => (outSize + TileOut - 1) / TileOut;

    /// <summary>
    /// Transforms 3x3 kernels: <c>u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]</c> for weights <c>w</c> of shape (C_out, C_in, 3, 3);
    /// with <paramref name="flipTranspose"/>, the kernels of the input gradient instead:
    /// <c>u[ξ][c][o] = (G w'[c][o] Gᵀ)[ξ]</c> with <c>w'[c][o][a][b] = w[o][c][2 − a][2 − b]</c>.
    /// </summary>
    /// <param name="w">Weights (C_out, C_in, 3, 3).</param>
    /// <param name="cout">C_out.</param>
    /// <param name="cin">C_in.</param>
    /// <param name="flipTranspose">Produce the flipped, transposed kernels (C_in x C_out matrices).</param>
    /// <param name="u">Destination, <see cref="WeightLength"/> floats.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span is too short.</exception>
    public static unsafe void TransformWeights(ReadOnlySpan<float> w, int cout, int cin, bool flipTranspose, Span<float> u)
    {
        if (cout <= 0 || cin <= 0) throw new ArgumentException($"Winograd: channels must be positive, got C_out={cout} C_in={cin}");
        long kernels = (long)cout * cin;
        if (w.Length < kernels * 9) throw new ArgumentException($"Winograd: weights need {kernels * 9} floats, span has {w.Length}");
        if (u.Length < kernels * Positions) throw new ArgumentException($"Winograd: transformed weights need {kernels * Positions} floats, span has {u.Length}");
        int groups = (int)((kernels + Lanes - 1) / Lanes);
        int parts = Math.Min(groups, 16);
        fixed (float* pw = w, pu = u)
        {
            var job = new WeightJob(pw, pu, cout, cin, flipTranspose, groups, parts);
            if (parts <= 1 || kernels < 4096) { for (int i = 0; i < parts; i++) WeightPart(job, i); }
            else Workers.Run(parts, job, static (j, i) => WeightPart(j, i));
        }
    }

    private readonly unsafe struct WeightJob(float* w, float* u, int cout, int cin, bool flip, int groups, int parts)
    {
        public readonly float* W = w, U = u;
        public readonly int Cout = cout, Cin = cin, Groups = groups, Parts = parts;
        public readonly bool Flip = flip;
    }

    private static unsafe void WeightPart(WeightJob j, int part)
    {
        int g0 = (int)((long)j.Groups * part / j.Parts), g1 = (int)((long)j.Groups * (part + 1) / j.Parts);
        int kernels = j.Cout * j.Cin, rows = j.Flip ? j.Cin : j.Cout, cols = j.Flip ? j.Cout : j.Cin;
        float* buf = stackalloc float[Positions * Lanes];
        float* tmp = stackalloc float[Positions * Lanes];
        for (int g = g0; g < g1; g++)
        {
            int i0 = g * Lanes, live = Math.Min(Lanes, kernels - i0);
            // Gather the 9 taps of each lane's kernel: buf[tap][lane] (the first 18 rows of buf).
            for (int l = 0; l < Lanes; l++)
            {
                int i = i0 + Math.Min(l, live - 1); // spare lanes repeat the last kernel
                int r = i / cols, c = i - r * cols;
                if (!j.Flip)
                {
                    float* src = j.W + (long)i * 9;
                    for (int t = 0; t < 9; t++) buf[t * Lanes + l] = src[t];
                }
                else
                {
                    float* src = j.W + ((long)c * j.Cin + r) * 9; // w[o = c][cin = r]
                    for (int t = 0; t < 9; t++) buf[t * Lanes + l] = src[8 - t];
                }
            }
            // G along the kernel rows: 3 rows of 3 -> 6 rows of 3, into buf[18 + 3·k + b].
            for (int b = 0; b < 3; b++) WeightRow(buf + b * Lanes, 3 * Lanes, buf + (18 + b) * Lanes, 3 * Lanes);
            // G along the columns: row k of 3 -> 6 values, ξ = 6k + l, stored to u[ξ][i].
            long step = (long)kernels;
            if (live == Lanes)
            {
                for (int k = 0; k < TileIn; k++)
                    WeightRow(buf + (18 + 3 * k) * Lanes, Lanes, j.U + (long)(k * TileIn) * step + i0, step);
            }
            else
            {
                for (int k = 0; k < TileIn; k++)
                    WeightRow(buf + (18 + 3 * k) * Lanes, Lanes, tmp + k * TileIn * Lanes, Lanes);
                for (int x = 0; x < Positions; x++)
                    for (int l = 0; l < live; l++) j.U[x * step + i0 + l] = tmp[x * Lanes + l];
            }
        }
    }

    /// <summary>6 = G·3 on vectors: g0..g2 at <paramref name="p"/> + i·<paramref name="ps"/>, results at <paramref name="q"/> + i·<paramref name="qs"/>.</summary>
    private static unsafe void WeightRow(float* p, long ps, float* q, long qs)
    {
        var g0 = Vector512.Load(p); var g1 = Vector512.Load(p + ps); var g2 = Vector512.Load(p + 2 * ps);
        var sixth = Vector512.Create(1f / 6f);
        var even = g0 + g2;
        var a = (g0 * Vector512.Create(1f / 24f)) + (g2 * sixth);
        var b = g1 * Vector512.Create(1f / 12f);
        (g0 * Vector512.Create(0.25f)).Store(q);
        (-(even + g1) * sixth).Store(q + qs);
        ((g1 - even) * sixth).Store(q + 2 * qs);
        (a + b).Store(q + 3 * qs);
        (a - b).Store(q + 4 * qs);
        g2.Store(q + 5 * qs);
    }

    /// <summary>How many whole images one chunk of <see cref="Conv"/> takes: a function of the shape only.</summary>
    internal static int ImagesPerChunk(int n, int cin, int cout, int tilesPerImage, int targetTiles = TargetTiles, int positions = Positions)
    {
        int budgetTiles = Math.Max(Lanes, ChunkBudgetFloats / (positions * (cin + cout)));
        int tiles = Math.Min(targetTiles, budgetTiles);
        int per = Math.Clamp((tiles + tilesPerImage / 2) / tilesPerImage, 1, Math.Max(1, n));
        int chunks = (n + per - 1) / per;
        if (chunks > 1 && chunks % 2 == 1) { chunks++; per = (n + chunks - 1) / chunks; } // even work for 2 or 4 threads
        return per;
    }
}
