using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Nabla.Kernels.Conv;

namespace Nabla.Kernels;

/// <summary>
/// The forward of a stride-1, dilation-1 convolution with ONE input channel (a network's first layer on grey images:
/// LeNet's 1→6 5x5, mnist-cnn's 1→32 3x3) computed directly, without im2col: each image is copied once into a
/// zero-padded plane, and every output row is accumulated 16 columns at a time as
/// <c>y[o, i, j] = fma(w[o, kh−1, kw−1], x[i + kh−1, j + kw−1], … fma(w[o, 0, 0], x[i, j], bias[o]))</c>
/// (taps in row-major order, padded coordinates), with all output channels of a block sharing each input load.
/// im2col would first write K = kh·kw copies of the image (25 for LeNet) and read them back.
/// </summary>
/// <remarks>Images are split over <see cref="Workers"/>; each output element is computed by the same operations
/// whichever thread runs it, so results are bit-identical for any thread count, and equal to
/// the scalar twin in the tests (<c>NaiveTwins/DirectConvNaive.cs</c>).</remarks>
public static partial class DirectConv
{
    private const int Lanes = 16;

    /// <summary>Output channels accumulated together per pass over a row (registers: 8 channels x 2 vectors).</summary>
    private const int ChannelBlock = 8;

    /// <summary>Largest kernel side this path takes.</summary>
    public const int MaxKernel = 7;

    [ThreadStatic] private static float[]? t_plane;

    /// <summary>Whether <see cref="Conv1"/> and <see cref="FilterGrad1"/> run on hardware vectors here (else callers keep
    /// im2col): AVX-512, or AVX2 with FMA, where they work on 8-lane halves.</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated || (Avx2.IsSupported && Fma.IsSupported);

    /// <summary>y (N, C_out, OH, OW) = conv(x (N, 1, H, W), w (C_out, 1, kh, kw)) + bias, ReLU applied when asked;
    /// stride 1, dilation 1, zero padding (ph, pw); OH = H + 2ph − kh + 1, OW = W + 2pw − kw + 1.</summary>
    /// <exception cref="ArgumentException">A size is out of range or a span is too short.</exception>
    public static void Conv1(in ConvGeometry geo, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, bool relu) =>
        Conv1Core(geo, x, weight, bias, y, relu, halves: !Vector512.IsHardwareAccelerated); // where Vector512 is not native its pairs of halves would spill

    /// <summary><see cref="Conv1"/>
    /// with the 8-lane halves (AVX2's form) asked for or not: the tests run both where AVX-512 is present.</summary>
    internal static void Conv1Core(in ConvGeometry geo, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, bool relu, bool halves)
    {
        int n = geo.N, h = geo.H, w = geo.W, cout = geo.Cout, kh = geo.Kh, kw = geo.Kw, ph = geo.Ph, pw = geo.Pw;
        var (oh, ow) = Check(n, h, w, cout, kh, kw, ph, pw, x.Length, weight.Length, bias.Length, y.Length);
        unsafe
        {
            fixed (float* px = x, pwt = weight, pb = bias, py = y)
            {
                var job = new Job(px, pwt, bias.IsEmpty ? null : pb, py, geo, oh, ow, relu, halves);
                Workers.Run(n, job, static (j, b) => Image(j, b));
            }
        }
    }

    /// <summary>The output size, after checking the sizes and span lengths of <see cref="Conv1"/> and its twin
    /// (an empty bias is none).</summary>
    internal static (int Oh, int Ow) Check(int n, int h, int w, int cout, int kh, int kw, int ph, int pw, int xLength, int wLength, int biasLength, int yLength)
    {
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
        if (n < 0 || h <= 0 || w <= 0 || cout <= 0 || kh <= 0 || kw <= 0 || kh > MaxKernel || kw > MaxKernel || ph < 0 || pw < 0 || oh <= 0 || ow <= 0)
            throw new ArgumentException($"DirectConv: unsupported sizes N={n} H={h} W={w} C_out={cout} kernel={kh}x{kw} padding={ph}x{pw}");
        if (xLength < (long)n * h * w || wLength < cout * kh * kw || yLength < (long)n * cout * oh * ow || (biasLength != 0 && biasLength < cout))
            throw new ArgumentException("DirectConv: span too short");
        return (oh, ow);
    }

    private readonly unsafe struct Job(float* x, float* w, float* bias, float* y, in ConvGeometry geo, int oh, int ow, bool relu, bool halves)
    {
        public readonly float* X = x, W = w, Bias = bias, Y = y;
        public readonly int H = geo.H, Wd = geo.W, Cout = geo.Cout, Kh = geo.Kh, Kw = geo.Kw, Ph = geo.Ph, Pw = geo.Pw, Oh = oh, Ow = ow;
        public readonly bool Relu = relu, Halves = halves;
    }

    private static unsafe void Image(Job j, int b)
    {
        int vecs = (j.Ow + Lanes - 1) / Lanes;
        int rowLen = vecs * Lanes + j.Kw - 1;          // every vector load of a padded row stays inside it
        int rows = j.H + 2 * j.Ph;
        var plane = t_plane is { } tp && tp.Length >= rows * rowLen ? tp : (t_plane = new float[rows * rowLen]);
        fixed (float* pp = plane)
        {
            // The zero-padded image: row r of the plane is input row r − ph, shifted right by pw.
            new Span<float>(pp, rows * rowLen).Clear();
            float* src = j.X + (long)b * j.H * j.Wd;
            for (int r = 0; r < j.H; r++)
            {
                float* from = src + (long)r * j.Wd, to = pp + (long)(r + j.Ph) * rowLen + j.Pw;
                if (Vector16.IsSupported) // 16 floats at a time, the last ones under a mask
                    for (int c = 0; c < j.Wd; c += Lanes)
                    {
                        var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(j.Wd - c)).AsSingle();
                        Vector16.Store(to + c, m, Vector16.Load(from + c, m));
                    }
                else new ReadOnlySpan<float>(from, j.Wd).CopyTo(new Span<float>(to, j.Wd));
            }
            float* ys = j.Y + (long)b * j.Cout * j.Oh * j.Ow;
            int taps = j.Kh * j.Kw;
            // The weights of a block of 8 channels, tap-major: wb[tap·8 + o] (channels past C_out are zero).
            float* wb = stackalloc float[MaxKernel * MaxKernel * ChannelBlock];
            float* outs = stackalloc float[ChannelBlock * Lanes];
            float* bias = stackalloc float[ChannelBlock];
            for (int o0 = 0; o0 < j.Cout; o0 += ChannelBlock)
            {
                int oc = Math.Min(ChannelBlock, j.Cout - o0);
                for (int t = 0; t < taps; t++)
                    for (int o = 0; o < ChannelBlock; o++) wb[t * ChannelBlock + o] = o < oc ? j.W[(long)(o0 + o) * taps + t] : 0f;
                for (int o = 0; o < ChannelBlock; o++) bias[o] = j.Bias == null || o >= oc ? 0f : j.Bias[o0 + o];
                for (int i = 0; i < j.Oh; i++)
                    for (int v = 0; v < vecs; v++)
                    {
                        int c0 = v * Lanes, live = Math.Min(Lanes, j.Ow - c0);
                        if (!j.Halves) Taps512(pp + (long)i * rowLen + c0, rowLen, j.Kh, j.Kw, wb, oc, bias, outs);
                        else
                        {
                            // AVX2: the two 8-lane halves one after the other (8 accumulators of 256 bits and their
                            // operands fit the 16 registers; as 512-bit pairs they would not). Each lane sees the same operations.
                            Taps256(pp + (long)i * rowLen + c0, rowLen, j.Kh, j.Kw, wb, oc, 0, bias, outs);
                            Taps256(pp + (long)i * rowLen + c0, rowLen, j.Kh, j.Kw, wb, oc, 8, bias, outs);
                        }
                        var keep = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(live)).AsSingle();
                        for (int o = 0; o < oc; o++)
                        {
                            var val = Vector512.Load(outs + o * Lanes);
                            if (j.Relu) val = Vector512.Max(val, Vector512<float>.Zero);
                            float* dst = ys + ((long)(o0 + o) * j.Oh + i) * j.Ow + c0;
                            if (live == Lanes) val.Store(dst);
                            else if (Vector16.IsSupported) Vector16.Store(dst, keep, val);
                            else
                            {
                                val.Store(outs + o * Lanes);
                                new ReadOnlySpan<float>(outs + o * Lanes, live).CopyTo(new Span<float>(dst, live));
                            }
                        }
                    }
            }
        }
    }

    /// <summary>The 8 channels' sums over every tap for 16 output columns from <paramref name="xr"/> (the padded row of the
    /// first tap), started from <paramref name="bias"/> (8 floats), into <c>outs[o·16 + lane]</c>.</summary>
    private static unsafe void Taps512(float* xr, int rowLen, int kh, int kw, float* wt, int oc, float* bias, float* outs)
    {
        Vector512<float> a0 = Vector512.Create(bias[0]), a1 = Vector512.Create(bias[1]), a2 = Vector512.Create(bias[2]), a3 = Vector512.Create(bias[3]);
        Vector512<float> a4 = Vector512.Create(bias[4]), a5 = Vector512.Create(bias[5]), a6 = Vector512.Create(bias[6]), a7 = Vector512.Create(bias[7]);
        for (int a = 0; a < kh; a++, xr += rowLen)
            for (int e = 0; e < kw; e++, wt += ChannelBlock)
            {
                var xv = Vector512.Load(xr + e);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[0]), xv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[1]), xv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[2]), xv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[3]), xv, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[4]), xv, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[5]), xv, a5);
                if (oc > 6) // LeNet's 6 channels skip the last two (their accumulators stay unused)
                {
                    a6 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[6]), xv, a6);
                    a7 = Vector512.FusedMultiplyAdd(Vector512.Create(wt[7]), xv, a7);
                }
            }
        a0.Store(outs); a1.Store(outs + Lanes); a2.Store(outs + 2 * Lanes); a3.Store(outs + 3 * Lanes);
        a4.Store(outs + 4 * Lanes); a5.Store(outs + 5 * Lanes); a6.Store(outs + 6 * Lanes); a7.Store(outs + 7 * Lanes);
    }

    /// <summary><see cref="Taps512"/> on the 8 lanes from <paramref name="half"/> (0 or 8): the same operations per lane.</summary>
    private static unsafe void Taps256(float* xr, int rowLen, int kh, int kw, float* wt, int oc, int half, float* bias, float* outs)
    {
        Vector256<float> a0 = Vector256.Create(bias[0]), a1 = Vector256.Create(bias[1]), a2 = Vector256.Create(bias[2]), a3 = Vector256.Create(bias[3]);
        Vector256<float> a4 = Vector256.Create(bias[4]), a5 = Vector256.Create(bias[5]), a6 = Vector256.Create(bias[6]), a7 = Vector256.Create(bias[7]);
        xr += half;
        for (int a = 0; a < kh; a++, xr += rowLen)
            for (int e = 0; e < kw; e++, wt += ChannelBlock)
            {
                var xv = Vector256.Load(xr + e);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[0]), xv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[1]), xv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[2]), xv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[3]), xv, a3);
                a4 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[4]), xv, a4);
                a5 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[5]), xv, a5);
                if (oc > 6)
                {
                    a6 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[6]), xv, a6);
                    a7 = Vector256.FusedMultiplyAdd(Vector256.Create(wt[7]), xv, a7);
                }
            }
        outs += half;
        a0.Store(outs); a1.Store(outs + Lanes); a2.Store(outs + 2 * Lanes); a3.Store(outs + 3 * Lanes);
        a4.Store(outs + 4 * Lanes); a5.Store(outs + 5 * Lanes); a6.Store(outs + 6 * Lanes); a7.Store(outs + 7 * Lanes);
    }
}
