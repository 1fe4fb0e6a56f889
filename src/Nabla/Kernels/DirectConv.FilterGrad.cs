using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Nabla.Kernels.Conv;

namespace Nabla.Kernels;

public static partial class DirectConv
{
    /// <summary>Output channels and taps of one register tile of <see cref="FilterGrad1"/> (3 x 5 accumulators per
    /// 16 output columns; each step loads 3 rows of dY and 5 shifted input rows for 15 fused multiply-adds).</summary>
    private const int GradChannels = 3, GradTaps = 5;

    [ThreadStatic] private static float[]? t_dy, t_acc;

    /// <summary>The weight gradient of <see cref="Conv1"/> without im2col: for each of <paramref name="slots"/> fixed runs
    /// of images (run s holds the images <see cref="Workers.Share"/>(n, slots, s)),
    /// <c>partials[s·C_out·kh·kw + o·kh·kw + a·kw + e] = Σ dY'[b, o, i, j] · x[b, i + a − ph, j + e − pw]</c> over the run's
    /// images and all outputs, where dY' is dY masked by y &gt; 0 when <paramref name="yRelu"/> is given (a fused ReLU).
    /// Callers add the partials in run order, so the result is the same for any number of threads.</summary>
    /// <remarks>Each sum is kept in 16 lanes per block of 16 output columns (lane l of block v takes column 16v + l; the
    /// columns past OW add fma(0, 0, ·)), accumulated image by image and row by row, then added block by block and lane
    /// by lane in float: exactly <see cref="FilterGrad1Scalar"/>.</remarks>
    /// <exception cref="ArgumentException">A size is out of range or a span is too short.</exception>
    public static void FilterGrad1(in ConvGeometry geo, ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> yRelu, int slots, Span<float> partials) =>
        FilterGrad1Core(geo, x, g, yRelu, slots, partials, halves: !Vector512.IsHardwareAccelerated); // where Vector512 is not native its pairs of halves would spill

    /// <summary><see cref="FilterGrad1"/>
    /// with the 8-lane halves (AVX2's form) asked for or not: the tests run both where AVX-512 is present.</summary>
    internal static unsafe void FilterGrad1Core(in ConvGeometry geo, ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> yRelu, int slots, Span<float> partials, bool halves)
    {
        int n = geo.N, h = geo.H, w = geo.W, cout = geo.Cout, kh = geo.Kh, kw = geo.Kw, ph = geo.Ph, pw = geo.Pw;
        var (oh, ow) = CheckGrad(n, h, w, cout, kh, kw, ph, pw, x.Length, g.Length, yRelu.Length, slots, partials.Length);
        if (!Vector16.IsSupported)
        {
            FilterGrad1Scalar(geo, x, g, yRelu, slots, partials);
            return;
        }
        fixed (float* px = x, pg = g, py = yRelu, pp = partials)
        {
            var job = new GradJob(px, pg, yRelu.IsEmpty ? null : py, pp, geo, oh, ow, slots, halves);
            Workers.Run(slots, job, static (j, s) => GradSlot(j, s));
        }
    }

    private readonly unsafe struct GradJob(float* x, float* g, float* y, float* partials, in ConvGeometry geo, int oh, int ow, int slots, bool halves)
    {
        public readonly float* X = x, G = g, Y = y, Partials = partials;
        public readonly int N = geo.N, H = geo.H, Wd = geo.W, Cout = geo.Cout, Kh = geo.Kh, Kw = geo.Kw, Ph = geo.Ph, Pw = geo.Pw, Oh = oh, Ow = ow, Slots = slots;
        public readonly bool Halves = halves;
    }

    private static unsafe void GradSlot(GradJob j, int slot)
    {
        var (b0, b1) = Workers.Share(j.N, j.Slots, slot);
        int vecs = (j.Ow + Lanes - 1) / Lanes, taps = j.Kh * j.Kw, rowLen = vecs * Lanes + j.Kw - 1, rows = j.H + 2 * j.Ph;
        int dyRow = vecs * Lanes; // dY' rows padded with zeros to whole vectors
        int oBlocks = (j.Cout + GradChannels - 1) / GradChannels, tBlocks = (taps + GradTaps - 1) / GradTaps;
        var plane = t_plane is { } tp && tp.Length >= rows * rowLen + Lanes ? tp : (t_plane = new float[rows * rowLen + Lanes]);
        // dY' of one image, then one zero row of dY' for the channels past C_out of the last tile.
        int dyLength = (j.Cout + 1) * j.Oh * dyRow;
        var dy = t_dy is { } td && td.Length >= dyLength ? td : (t_dy = new float[dyLength]);
        // Accumulators: (o, t, v) → 16 lanes, then one scratch entry per tile position for the padding channels and taps.
        int accLength = (j.Cout * taps * vecs + GradChannels * GradTaps) * Lanes;
        var acc = t_acc is { } ta && ta.Length >= accLength ? ta : (t_acc = new float[accLength]);
        Array.Clear(acc, 0, accLength);
        Array.Clear(dy, j.Cout * j.Oh * dyRow, j.Oh * dyRow);
        int* tapOffset = stackalloc int[GradTaps];
        float** dyRows = stackalloc float*[GradChannels];
        float** accs = stackalloc float*[GradChannels * GradTaps];
        fixed (float* pp = plane, pdy = dy, pacc = acc)
        {
            float* dummy = pacc + j.Cout * taps * vecs * Lanes;
            new Span<float>(pp, rows * rowLen + Lanes).Clear();
            for (int b = b0; b < b1; b++)
            {
                // The zero-padded image (padding is never written, so it stays zero), as in the forward.
                float* src = j.X + (long)b * j.H * j.Wd;
                for (int r = 0; r < j.H; r++)
                {
                    float* from = src + (long)r * j.Wd, to = pp + (long)(r + j.Ph) * rowLen + j.Pw;
                    for (int c = 0; c < j.Wd; c += Lanes)
                    {
                        var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(j.Wd - c)).AsSingle();
                        Vector16.Store(to + c, m, Vector16.Load(from + c, m));
                    }
                }
                // dY' rows, masked by the ReLU outputs, the lanes past OW zero.
                for (int o = 0; o < j.Cout; o++)
                    for (int i = 0; i < j.Oh; i++)
                    {
                        long at = (((long)b * j.Cout + o) * j.Oh + i) * j.Ow;
                        float* d = pdy + ((long)o * j.Oh + i) * dyRow;
                        for (int c = 0; c < dyRow; c += Lanes)
                        {
                            var live = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(j.Ow - c)).AsSingle();
                            var gv = Vector16.Load(j.G + at + c, live);
                            if (j.Y != null)
                                gv = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector16.Load(j.Y + at + c, live), Vector512<float>.Zero), gv, Vector512<float>.Zero);
                            gv.Store(d + c);
                        }
                    }
                for (int ob = 0; ob < oBlocks; ob++)
                    for (int tb = 0; tb < tBlocks; tb++)
                        for (int v = 0; v < vecs; v++)
                        {
                            for (int q = 0; q < GradChannels; q++)
                            {
                                int o = ob * GradChannels + q;
                                dyRows[q] = pdy + (long)(o < j.Cout ? o : j.Cout) * j.Oh * dyRow + v * Lanes;
                            }
                            for (int t = 0; t < GradTaps; t++)
                            {
                                int tap = tb * GradTaps + t;
                                tapOffset[t] = tap < taps ? (tap / j.Kw) * rowLen + tap % j.Kw : 0;
                                for (int q = 0; q < GradChannels; q++)
                                {
                                    int o = ob * GradChannels + q;
                                    accs[q * GradTaps + t] = o < j.Cout && tap < taps ? pacc + (((long)o * taps + tap) * vecs + v) * Lanes : dummy + (q * GradTaps + t) * Lanes;
                                }
                            }
                            var keep = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(j.Ow - v * Lanes)).AsSingle();
                            if (!j.Halves) GradTile(j.Oh, pp + v * Lanes, rowLen, tapOffset, dyRows, dyRow, accs, keep);
                            else
                            {
                                // AVX2: the two 8-lane halves one after the other (15 accumulators of 256 bits fit the
                                // 16 registers; 15 of 512 bits as pairs would not). Each lane sees the same operations.
                                GradTile256(j.Oh, pp + v * Lanes, rowLen, tapOffset, dyRows, dyRow, accs, 0, keep.GetLower());
                                GradTile256(j.Oh, pp + v * Lanes, rowLen, tapOffset, dyRows, dyRow, accs, 8, keep.GetUpper());
                            }
                        }
            }
            // Each sum: its lanes, block by block, in float.
            float* part = j.Partials + (long)slot * j.Cout * taps;
            for (int o = 0; o < j.Cout; o++)
                for (int t = 0; t < taps; t++)
                {
                    float* lanes = pacc + ((long)o * taps + t) * vecs * Lanes;
                    float sum = 0f;
                    for (int l = 0; l < vecs * Lanes; l++) sum += lanes[l];
                    part[o * taps + t] = sum;
                }
        }
    }

    /// <summary>One tile over every output row of an image: 3 channels x 5 taps of 16 lanes, loaded from and stored back to
    /// their accumulators; the input rows are loaded under <paramref name="keep"/> (columns past OW read as 0).</summary>
    private static unsafe void GradTile(int oh, float* plane, int rowLen, int* tapOffset, float** dyRows, int dyRow, float** accs, Vector512<float> keep)
    {
        float* d0 = dyRows[0], d1 = dyRows[1], d2 = dyRows[2];
        nint o0 = tapOffset[0], o1 = tapOffset[1], o2 = tapOffset[2], o3 = tapOffset[3], o4 = tapOffset[4];
        var a00 = Vector512.Load(accs[0]); var a01 = Vector512.Load(accs[1]); var a02 = Vector512.Load(accs[2]); var a03 = Vector512.Load(accs[3]); var a04 = Vector512.Load(accs[4]);
        var a10 = Vector512.Load(accs[5]); var a11 = Vector512.Load(accs[6]); var a12 = Vector512.Load(accs[7]); var a13 = Vector512.Load(accs[8]); var a14 = Vector512.Load(accs[9]);
        var a20 = Vector512.Load(accs[10]); var a21 = Vector512.Load(accs[11]); var a22 = Vector512.Load(accs[12]); var a23 = Vector512.Load(accs[13]); var a24 = Vector512.Load(accs[14]);
        for (int i = 0; i < oh; i++, plane += rowLen, d0 += dyRow, d1 += dyRow, d2 += dyRow)
        {
            var g0 = Vector512.Load(d0); var g1 = Vector512.Load(d1); var g2 = Vector512.Load(d2);
            var x = Vector16.Load(plane + o0, keep);
            a00 = Vector512.FusedMultiplyAdd(g0, x, a00); a10 = Vector512.FusedMultiplyAdd(g1, x, a10); a20 = Vector512.FusedMultiplyAdd(g2, x, a20);
            x = Vector16.Load(plane + o1, keep);
            a01 = Vector512.FusedMultiplyAdd(g0, x, a01); a11 = Vector512.FusedMultiplyAdd(g1, x, a11); a21 = Vector512.FusedMultiplyAdd(g2, x, a21);
            x = Vector16.Load(plane + o2, keep);
            a02 = Vector512.FusedMultiplyAdd(g0, x, a02); a12 = Vector512.FusedMultiplyAdd(g1, x, a12); a22 = Vector512.FusedMultiplyAdd(g2, x, a22);
            x = Vector16.Load(plane + o3, keep);
            a03 = Vector512.FusedMultiplyAdd(g0, x, a03); a13 = Vector512.FusedMultiplyAdd(g1, x, a13); a23 = Vector512.FusedMultiplyAdd(g2, x, a23);
            x = Vector16.Load(plane + o4, keep);
            a04 = Vector512.FusedMultiplyAdd(g0, x, a04); a14 = Vector512.FusedMultiplyAdd(g1, x, a14); a24 = Vector512.FusedMultiplyAdd(g2, x, a24);
        }
        a00.Store(accs[0]); a01.Store(accs[1]); a02.Store(accs[2]); a03.Store(accs[3]); a04.Store(accs[4]);
        a10.Store(accs[5]); a11.Store(accs[6]); a12.Store(accs[7]); a13.Store(accs[8]); a14.Store(accs[9]);
        a20.Store(accs[10]); a21.Store(accs[11]); a22.Store(accs[12]); a23.Store(accs[13]); a24.Store(accs[14]);
    }

    /// <summary><see cref="GradTile"/> on the 8 lanes from <paramref name="half"/> (0 or 8) of each accumulator, with
    /// AVX's masked loads: the same fused multiply-adds per lane.</summary>
    private static unsafe void GradTile256(int oh, float* plane, int rowLen, int* tapOffset, float** dyRows, int dyRow, float** accs, int half, Vector256<float> keep)
    {
        float* d0 = dyRows[0] + half, d1 = dyRows[1] + half, d2 = dyRows[2] + half;
        plane += half;
        nint o0 = tapOffset[0], o1 = tapOffset[1], o2 = tapOffset[2], o3 = tapOffset[3], o4 = tapOffset[4];
        var a00 = Vector256.Load(accs[0] + half); var a01 = Vector256.Load(accs[1] + half); var a02 = Vector256.Load(accs[2] + half); var a03 = Vector256.Load(accs[3] + half); var a04 = Vector256.Load(accs[4] + half);
        var a10 = Vector256.Load(accs[5] + half); var a11 = Vector256.Load(accs[6] + half); var a12 = Vector256.Load(accs[7] + half); var a13 = Vector256.Load(accs[8] + half); var a14 = Vector256.Load(accs[9] + half);
        var a20 = Vector256.Load(accs[10] + half); var a21 = Vector256.Load(accs[11] + half); var a22 = Vector256.Load(accs[12] + half); var a23 = Vector256.Load(accs[13] + half); var a24 = Vector256.Load(accs[14] + half);
        for (int i = 0; i < oh; i++, plane += rowLen, d0 += dyRow, d1 += dyRow, d2 += dyRow)
        {
            var g0 = Vector256.Load(d0); var g1 = Vector256.Load(d1); var g2 = Vector256.Load(d2);
            var x = Avx.MaskLoad(plane + o0, keep);
            a00 = Vector256.FusedMultiplyAdd(g0, x, a00); a10 = Vector256.FusedMultiplyAdd(g1, x, a10); a20 = Vector256.FusedMultiplyAdd(g2, x, a20);
            x = Avx.MaskLoad(plane + o1, keep);
            a01 = Vector256.FusedMultiplyAdd(g0, x, a01); a11 = Vector256.FusedMultiplyAdd(g1, x, a11); a21 = Vector256.FusedMultiplyAdd(g2, x, a21);
            x = Avx.MaskLoad(plane + o2, keep);
            a02 = Vector256.FusedMultiplyAdd(g0, x, a02); a12 = Vector256.FusedMultiplyAdd(g1, x, a12); a22 = Vector256.FusedMultiplyAdd(g2, x, a22);
            x = Avx.MaskLoad(plane + o3, keep);
            a03 = Vector256.FusedMultiplyAdd(g0, x, a03); a13 = Vector256.FusedMultiplyAdd(g1, x, a13); a23 = Vector256.FusedMultiplyAdd(g2, x, a23);
            x = Avx.MaskLoad(plane + o4, keep);
            a04 = Vector256.FusedMultiplyAdd(g0, x, a04); a14 = Vector256.FusedMultiplyAdd(g1, x, a14); a24 = Vector256.FusedMultiplyAdd(g2, x, a24);
        }
        a00.Store(accs[0] + half); a01.Store(accs[1] + half); a02.Store(accs[2] + half); a03.Store(accs[3] + half); a04.Store(accs[4] + half);
        a10.Store(accs[5] + half); a11.Store(accs[6] + half); a12.Store(accs[7] + half); a13.Store(accs[8] + half); a14.Store(accs[9] + half);
        a20.Store(accs[10] + half); a21.Store(accs[11] + half); a22.Store(accs[12] + half); a23.Store(accs[13] + half); a24.Store(accs[14] + half);
    }

    /// <summary>The scalar fallback of <see cref="FilterGrad1"/> without AVX (and its twin in the tests): the same lanes, fused multiply-adds and additions, one element
    /// at a time.</summary>
    /// <exception cref="ArgumentException">As <see cref="FilterGrad1"/>.</exception>
    internal static void FilterGrad1Scalar(in ConvGeometry geo, ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> yRelu, int slots, Span<float> partials)
    {
        int n = geo.N, h = geo.H, w = geo.W, cout = geo.Cout, kh = geo.Kh, kw = geo.Kw, ph = geo.Ph, pw = geo.Pw;
        var (oh, ow) = CheckGrad(n, h, w, cout, kh, kw, ph, pw, x.Length, g.Length, yRelu.Length, slots, partials.Length);
        int vecs = (ow + Lanes - 1) / Lanes, taps = kh * kw;
        var lanes = new float[vecs * Lanes];
        for (int s = 0; s < slots; s++)
        {
            var (b0, b1) = Workers.Share(n, slots, s);
            for (int o = 0; o < cout; o++)
                for (int t = 0; t < taps; t++)
                {
                    int a = t / kw, e = t % kw;
                    Array.Clear(lanes);
                    for (int b = b0; b < b1; b++)
                        for (int i = 0; i < oh; i++)
                            for (int c = 0; c < vecs * Lanes; c++)
                            {
                                float gv = 0f, xv = 0f;
                                if (c < ow)
                                {
                                    int at = ((b * cout + o) * oh + i) * ow + c;
                                    gv = yRelu.IsEmpty || yRelu[at] > 0f ? g[at] : 0f;
                                    int r = i + a - ph, q = c + e - pw;
                                    xv = r >= 0 && r < h && q >= 0 && q < w ? x[(b * h + r) * w + q] : 0f;
                                }
                                lanes[c] = MathF.FusedMultiplyAdd(gv, xv, lanes[c]);
                            }
                    float sum = 0f;
                    foreach (float l in lanes) sum += l;
                    partials[(s * cout + o) * taps + t] = sum;
                }
        }
    }

    private static (int Oh, int Ow) CheckGrad(int n, int h, int w, int cout, int kh, int kw, int ph, int pw, int xLength, int gLength, int yLength, int slots, int partialsLength)
    {
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
        long outputs = (long)Math.Max(n, 0) * cout * Math.Max(oh, 0) * Math.Max(ow, 0);
        Check(n, h, w, cout, kh, kw, ph, pw, xLength, cout * kh * kw, 0, (int)Math.Min(outputs, int.MaxValue)); // the sizes, and x
        if (slots < 1 || slots > Math.Max(n, 1)) throw new ArgumentException($"DirectConv: slots must be in [1, max(N, 1)], got {slots} for N={n}");
        if (gLength < outputs || (yLength != 0 && yLength < outputs) || partialsLength < (long)slots * cout * kh * kw)
            throw new ArgumentException("DirectConv: span too short");
        return (oh, ow);
    }
}
