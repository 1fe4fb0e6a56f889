using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using Nabla.Kernels.Conv;

namespace Nabla.Kernels;

public static partial class Winograd
{
    [ThreadStatic] private static float[]? t_stage, t_v, t_m, t_panels;
    [ThreadStatic] private static int[]? t_tiles;

    /// <summary>The distance between the 36 per-position matrices: one cache line more than they need, so the
    /// 36 vectors a tile's transform touches do not all fall in the same cache set (the sizes are powers of two).</summary>
    private static long SkewedStride(long floats) => (floats + Lanes - 1) / Lanes * Lanes + Lanes;

    private static float[] Grow(ref float[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[length];
        return buffer;
    }

    /// <summary>
    /// A 3x3, stride-1 cross-correlation by F(4x4, 3x3):
    /// <c>y[b, o, i, j] (+)= bias[o] + Σ_{c,a,e} x[b, c, i − ph + a, j − pw + e] · w[o, c, a, e]</c>, with x taken as
    /// zero outside its planes, for weights already transformed by <see cref="TransformWeights"/> into <paramref name="u"/>.
    /// </summary>
    /// <param name="g">The sizes (N, C_in, H, W, C_out, OH, OW, padding), validated at the op boundary; OH and OW may be any
    /// (usually H + 2·Ph − 2); Ph and Pw are the rows and columns of zeros above and left of the input (negative crops).</param>
    /// <param name="x">Input (N, C_in, H, W).</param>
    /// <param name="u">Transformed weights (36 x C_out x C_in).</param>
    /// <param name="bias">C_out biases, or empty for none.</param>
    /// <param name="y">Output (N, C_out, OH, OW).</param>
    /// <param name="accumulate">Add into <paramref name="y"/> instead of overwriting it.</param>
    /// <param name="relu">Store <c>max(value, 0)</c> (as <see cref="Activation.Relu"/>); not with <paramref name="accumulate"/>.</param>
    /// <exception cref="ArgumentException">A size is not positive, a span is too short, or relu is asked with accumulate.</exception>
    public static void Conv(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> y, bool accumulate, bool relu = false)
    {
        if (relu && accumulate) throw new ArgumentException("Winograd: relu applies to stored outputs, not with accumulate");
        RunConv(g, x, u, bias, y, accumulate, relu, TileOut, TileIn);
    }

    /// <summary>The checks and the chunked run shared by <see cref="Conv"/>, <see cref="Conv5x5"/> and <see cref="Conv5x5F4"/>
    /// (<paramref name="tileOut"/> outputs per tile side from <paramref name="tileIn"/> x <paramref name="tileIn"/> input tiles).</summary>
    private static unsafe void RunConv(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> y, bool accumulate, bool relu, int tileOut, int tileIn)
    {
        int positions = tileIn * tileIn;
        int n = g.N, cin = g.Cin, h = g.H, w = g.W, cout = g.Cout, oh = g.Oh, ow = g.Ow, ph = g.Ph, pw = g.Pw;
        if (n < 0 || cin <= 0 || h <= 0 || w <= 0 || cout <= 0 || oh <= 0 || ow <= 0)
            throw new ArgumentException($"Winograd: sizes must be positive, got N={n} C_in={cin} H={h} W={w} C_out={cout} OH={oh} OW={ow}");
        if (x.Length < (long)n * cin * h * w) throw new ArgumentException($"Winograd: input needs {(long)n * cin * h * w} floats, span has {x.Length}");
        if (u.Length < (long)positions * cout * cin) throw new ArgumentException($"Winograd: transformed weights need {(long)positions * cout * cin} floats, span has {u.Length}");
        if (y.Length < (long)n * cout * oh * ow) throw new ArgumentException($"Winograd: output needs {(long)n * cout * oh * ow} floats, span has {y.Length}");
        if (!bias.IsEmpty && bias.Length < cout) throw new ArgumentException($"Winograd: bias needs {cout} floats, span has {bias.Length}");
        if (n == 0) return;
        var geo = new ConvShape(n, cin, h, w, cout, oh, ow, ph, pw, tileOut, tileIn);
        // The weight matrices (one per position) go into the products' panels once per call, not once per chunk.
        var path = Gemm.HardwarePath;
        long panelLength = Gemm.PanelsALength(path, cout, cin);
        var panels = Grow(ref t_panels, positions * panelLength);
        fixed (float* px = x, pu = u, pb = bias, py = y, pp = panels)
        {
            PackWeightPanels(path, pu, cout, cin, positions, transpose: false, pp, panelLength);
            var job = new ConvJob(geo, px, pp, panelLength, path, bias.IsEmpty ? null : pb, py, accumulate, relu);
            Workers.Run(geo.Chunks, job, static (j, ch) => ConvChunk(j, ch));
        }
    }

    /// <summary>The sizes of one call; <paramref name="Out"/> outputs per tile side from <paramref name="In"/> x
    /// <paramref name="In"/> input tiles: 4 from 6 for F(4x4, 3x3), 2 from 6 for F(2x2, 5x5), 4 from 8 for F(4x4, 5x5).</summary>
    private readonly record struct ConvShape(int N, int Cin, int H, int W, int Cout, int Oh, int Ow, int Ph, int Pw, int Out = TileOut, int In = TileIn)
    {
        /// <summary>Transformed positions per tile: the number of matrix products.</summary>
        public int Positions => In * In;
        public int TilesH => (Oh + Out - 1) / Out;
        public int TilesW => (Ow + Out - 1) / Out;
        public int TilesPerImage => TilesH * TilesW;
        /// <summary>Rows and columns of the zero-padded planes the tiles read.</summary>
        public int Hs => Out * TilesH + In - Out;
        public int Ws => Out * TilesW + In - Out;
        /// <summary>The input can be read in place: no padding and every tile inside the planes.</summary>
        public bool InPlace => Ph == 0 && Pw == 0 && H >= Hs && W >= Ws;
        public int PerChunk => ImagesPerChunk(N, Cin, Cout, TilesPerImage, Out == TileOut5 ? TargetTiles5 : TargetTiles, Positions);
        public int Chunks => (N + PerChunk - 1) / PerChunk;
    }

    /// <summary>One call's operands; <paramref name="panels"/> holds the matrices of transformed weights (one per
    /// position) in the products' A panels, <paramref name="panelLength"/> floats apart.</summary>
    private readonly unsafe struct ConvJob(ConvShape s, float* x, float* panels, long panelLength, GemmPath path, float* bias, float* y, bool accumulate, bool relu)
    {
        public readonly ConvShape S = s;
        public readonly float* X = x, Panels = panels, Bias = bias, Y = y;
        public readonly long PanelLength = panelLength;
        public readonly GemmPath Path = path;
        public readonly bool Accumulate = accumulate, Relu = relu;
    }

    /// <summary>The <paramref name="positions"/> matrices <c>u[ξ]</c> (C_out x C_in) into A panels of the products, as they are
    /// (<paramref name="transpose"/> false: rows are output channels) or transposed (rows are input channels), one
    /// position per part.</summary>
    private static unsafe void PackWeightPanels(GemmPath path, float* u, int cout, int cin, int positions, bool transpose, float* panels, long panelLength)
    {
        var job = (U: (nint)u, P: (nint)panels, Len: panelLength, Cout: cout, Cin: cin, T: transpose, Path: path);
        Workers.Run(positions, job, static (j, xi) =>
        {
            float* src = (float*)j.U + (long)xi * j.Cout * j.Cin, dst = (float*)j.P + xi * j.Len;
            if (j.T) Gemm.PackPanelsA(j.Path, true, j.Cin, j.Cout, src, j.Cin, dst);
            else Gemm.PackPanelsA(j.Path, false, j.Cout, j.Cin, src, j.Cin, dst);
        });
    }

    private static unsafe void ConvChunk(ConvJob j, int ch)
    {
        var s = j.S;
        int first = ch * s.PerChunk, count = Math.Min(s.PerChunk, s.N - first);
        int tpi = s.TilesPerImage, t = count * tpi, t16 = (t + Lanes - 1) / Lanes * Lanes;
        int cin = s.Cin, cout = s.Cout;

        // Source planes: the input itself, or a zero-padded copy of this chunk's images.
        float* src; int rowStride, planeStride;
        float[]? stage = null;
        if (s.InPlace) { src = j.X + (long)first * cin * s.H * s.W; rowStride = s.W; planeStride = s.H * s.W; }
        else
        {
            rowStride = s.Ws; planeStride = s.Hs * s.Ws;
            stage = Grow(ref t_stage, (long)count * cin * planeStride);
            src = null;
        }

        var tiles = t_tiles is { } tt && tt.Length >= 4 * t16 ? tt : (t_tiles = new int[4 * t16]);
        long vStride = SkewedStride((long)cin * t16), mStride = SkewedStride((long)cout * t16);
        var v = Grow(ref t_v, s.Positions * vStride);
        var m = Grow(ref t_m, s.Positions * mStride);
        fixed (float* pStage = stage, pv = v, pm = m)
        fixed (int* pt = tiles)
        {
            if (stage is not null)
            {
                src = pStage;
                Stage(j.X + (long)first * cin * s.H * s.W, count * cin, s.H, s.W, s.Hs, s.Ws, s.Ph, s.Pw, pStage);
            }
            // Per tile: source offset (within a channel's planes), output offset, live rows and columns.
            int* srcOff = pt, dstOff = pt + t16, liveRows = pt + 2 * t16, liveCols = pt + 3 * t16;
            for (int i = 0; i < t16; i++)
            {
                int ti = Math.Min(i, t - 1), b = ti / tpi, r = ti - b * tpi, th = r / s.TilesW, tw = r - th * s.TilesW;
                srcOff[i] = b * cin * planeStride + s.Out * th * rowStride + s.Out * tw;
                dstOff[i] = b * cout * s.Oh * s.Ow + s.Out * th * s.Ow + s.Out * tw;
                liveRows[i] = i < t ? Math.Min(s.Out, s.Oh - s.Out * th) : 0;
                liveCols[i] = Math.Min(s.Out, s.Ow - s.Out * tw);
            }

            // V straight into the products' B panels; all t16 columns are computed (the spare ones are never stored).
            InputTransform(src, cin, planeStride, rowStride, srcOff, t16, pv, vStride, j.Path, s.In);
            for (int xi = 0; xi < s.Positions; xi++)
                Gemm.SgemmPanels(j.Path, cout, t16, cin, j.Panels + xi * j.PanelLength, pv + xi * vStride, null, 0, false,
                    pm + xi * mStride, t16, accumulate: false);
            OutputTransform(pm, mStride, cout, t16, j.Bias, j.Y + (long)first * cout * s.Oh * s.Ow, s.Oh * s.Ow, s.Ow,
                dstOff, liveRows, liveCols, j.Accumulate, j.Relu, s.Out, s.In);
        }
    }

    /// <summary>Copies <paramref name="planes"/> h x w planes into hs x ws planes shifted down and right by
    /// (ph, pw) (negative: cropped), zeros elsewhere.</summary>
    private static unsafe void Stage(float* x, int planes, int h, int w, int hs, int ws, int ph, int pw, float* dst)
    {
        int c0 = Math.Max(0, pw), c1 = Math.Min(ws, w + pw);
        for (int p = 0; p < planes; p++)
        {
            float* plane = x + (long)p * h * w;
            for (int r = 0; r < hs; r++)
            {
                var row = new Span<float>(dst + ((long)p * hs + r) * ws, ws);
                int sr = r - ph;
                if (sr < 0 || sr >= h || c0 >= c1) { row.Clear(); continue; }
                row[..c0].Clear();
                new ReadOnlySpan<float>(plane + (long)sr * w + (c0 - pw), c1 - c0).CopyTo(row[c0..c1]);
                row[c1..].Clear();
            }
        }
    }

    /// <summary>v[ξ][c][tile] = (Bᵀ d B)[ξ] for the <paramref name="tileIn"/> x <paramref name="tileIn"/> input tile d
    /// (6, or 8 for F(4x4, 5x5)) of every tile and channel: row-major C_in x t16 matrices, or, given a
    /// <paramref name="panels"/> path, each matrix in that path's B panels (<c>Gemm.Panels.cs</c>).</summary>
    private static unsafe void InputTransform(float* src, int cin, int planeStride, int rowStride, int* srcOff, int t16, float* v, long xiStride,
        GemmPath? panels = null, int tileIn = TileIn)
    {
        // blk[8·row + column] holds tile element (row, column) of the 16 lanes (with 6x6 tiles, columns 6, 7 unused).
        Vector512<float>* blk = stackalloc Vector512<float>[4 * Lanes];
        float* buf = (float*)blk;
        const int RowStride = 8 * Lanes;
        bool shuffles = Vector16.IsSupported, eight = tileIn == TileIn8;
        for (int c = 0; c < cin; c++)
        {
            float* plane = src + (long)c * planeStride;
            for (int g = 0; g < t16; g += Lanes)
            {
                if (shuffles)
                {
                    if (eight) GatherTiles8(plane, srcOff + g, rowStride, blk);
                    else GatherTiles(plane, srcOff + g, rowStride, blk);
                }
                else for (int l = 0; l < Lanes; l++)
                {
                    float* d = plane + srcOff[g + l];
                    for (int a = 0; a < tileIn; a++, d += rowStride)
                        for (int e = 0; e < tileIn; e++) buf[a * RowStride + e * Lanes + l] = d[e];
                }
                float* dst = v + (panels is { } path ? Gemm.PanelOffsetB(path, t16, cin, c, g) : (long)c * t16 + g);
                if (eight)
                {
                    for (int e = 0; e < TileIn8; e++) InputRow8(buf + e * Lanes, RowStride, buf + e * Lanes, RowStride);
                    for (int a = 0; a < TileIn8; a++) InputRow8(buf + a * RowStride, Lanes, dst + a * TileIn8 * xiStride, xiStride);
                }
                else
                {
                    for (int e = 0; e < TileIn; e++) InputRow(buf + e * Lanes, RowStride, buf + e * Lanes, RowStride);
                    for (int a = 0; a < TileIn; a++) InputRow(buf + a * RowStride, Lanes, dst + a * TileIn * xiStride, xiStride);
                }
            }
        }
    }

    /// <summary>6 = Bᵀ·6 on vectors (in place allowed: every load precedes every store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputRow(float* p, long ps, float* q, long qs)
    {
        var d0 = Vector512.Load(p); var d1 = Vector512.Load(p + ps); var d2 = Vector512.Load(p + 2 * ps);
        var d3 = Vector512.Load(p + 3 * ps); var d4 = Vector512.Load(p + 4 * ps); var d5 = Vector512.Load(p + 5 * ps);
        var four = Vector512.Create(4f); var mfour = Vector512.Create(-4f); var mfive = Vector512.Create(-5f);
        var t0 = Vector512.FusedMultiplyAdd(mfour, d2, d4);
        var t1 = Vector512.FusedMultiplyAdd(mfour, d1, d3);
        var t2 = d4 - d2;
        var t3 = (d3 - d1) + (d3 - d1);
        Vector512.FusedMultiplyAdd(four, d0, Vector512.FusedMultiplyAdd(mfive, d2, d4)).Store(q);
        (t0 + t1).Store(q + qs);
        (t0 - t1).Store(q + 2 * qs);
        (t2 + t3).Store(q + 3 * qs);
        (t2 - t3).Store(q + 4 * qs);
        Vector512.FusedMultiplyAdd(four, d1, Vector512.FusedMultiplyAdd(mfive, d3, d5)).Store(q + 5 * qs);
    }

    /// <summary>y (+)= Aᵀ m A + bias for every tile and output channel, clipped to the output planes;
    /// <paramref name="tileOut"/> x <paramref name="tileOut"/> outputs per tile from <paramref name="tileIn"/> x
    /// <paramref name="tileIn"/> positions (4 from 6 for F(4x4, 3x3), 2 from 6 for F(2x2, 5x5), 4 from 8 for F(4x4, 5x5)).</summary>
    private static unsafe void OutputTransform(float* m, long xiStride, int cout, int t16, float* bias, float* y, int plane, int ow,
        int* dstOff, int* liveRows, int* liveCols, bool accumulate, bool relu, int tileOut = TileOut, int tileIn = TileIn)
    {
        float* tmp = stackalloc float[TileOut * TileIn8 * Lanes];
        Vector512<float>* blk = stackalloc Vector512<float>[Lanes];
        float* outv = (float*)blk; // outv[k][lane], k = tileOut·row + column: the rows of the transpose
        bool shuffles = Vector16.IsSupported && tileOut == TileOut; // a 4x4 tile is one register after the transpose
        for (int o = 0; o < cout; o++)
        {
            var bv = bias is null ? Vector512<float>.Zero : Vector512.Create(bias[o]);
            float* yo = y + (long)o * plane;
            for (int g = 0; g < t16; g += Lanes)
            {
                float* mp = m + (long)o * t16 + g;
                // Aᵀ along the tile rows: for each column e, 6 -> tileOut into tmp[r][e]; then A along the columns: row r
                // of 6 -> tileOut outputs (plus bias) into outv[r][s].
                if (tileIn == TileIn8)
                {
                    for (int e = 0; e < TileIn8; e++)
                        OutputRow8(mp + e * xiStride, TileIn8 * xiStride, tmp + e * Lanes, TileIn8 * Lanes, Vector512<float>.Zero);
                    for (int r = 0; r < TileOut; r++)
                        OutputRow8(tmp + r * TileIn8 * Lanes, Lanes, outv + r * TileOut * Lanes, Lanes, bv);
                }
                else if (tileOut == TileOut)
                {
                    for (int e = 0; e < TileIn; e++)
                        OutputRow(mp + e * xiStride, TileIn * xiStride, tmp + e * Lanes, TileIn * Lanes, Vector512<float>.Zero);
                    for (int r = 0; r < TileOut; r++)
                        OutputRow(tmp + r * TileIn * Lanes, Lanes, outv + r * TileOut * Lanes, Lanes, bv);
                }
                else
                {
                    for (int e = 0; e < TileIn; e++)
                        OutputRow2(mp + e * xiStride, TileIn * xiStride, tmp + e * Lanes, TileIn * Lanes, Vector512<float>.Zero);
                    for (int r = 0; r < TileOut5; r++)
                        OutputRow2(tmp + r * TileIn * Lanes, Lanes, outv + r * TileOut5 * Lanes, Lanes, bv);
                }
                if (relu)
                    for (int k = 0; k < tileOut * tileOut; k++) blk[k] = Vector512.Max(blk[k], Vector512<float>.Zero);
                if (shuffles)
                {
                    Transpose16(blk); // blk[lane] = the lane's 4x4 outputs, row-major
                    for (int l = 0; l < Lanes; l++)
                    {
                        int rows = liveRows[g + l], cols = liveCols[g + l];
                        float* d = yo + dstOff[g + l];
                        var tile = blk[l];
                        if (rows == TileOut && cols == TileOut)
                        {
                            var r0 = tile.GetLower().GetLower(); var r1 = tile.GetLower().GetUpper();
                            var r2 = tile.GetUpper().GetLower(); var r3 = tile.GetUpper().GetUpper();
                            if (accumulate)
                            {
                                r0 += Vector128.Load(d); r1 += Vector128.Load(d + ow);
                                r2 += Vector128.Load(d + 2 * ow); r3 += Vector128.Load(d + 3 * ow);
                            }
                            r0.Store(d); r1.Store(d + ow); r2.Store(d + 2 * ow); r3.Store(d + 3 * ow);
                        }
                        else
                        {
                            float* q = (float*)(blk + l);
                            for (int r = 0; r < rows; r++, d += ow)
                                for (int e = 0; e < cols; e++)
                                    d[e] = accumulate ? d[e] + q[r * TileOut + e] : q[r * TileOut + e];
                        }
                    }
                    continue;
                }
                for (int l = 0; l < Lanes; l++)
                {
                    int rows = liveRows[g + l], cols = liveCols[g + l];
                    float* d = yo + dstOff[g + l];
                    float* q = outv + l;
                    if (tileOut == TileOut && rows == TileOut && cols == TileOut)
                    {
                        for (int r = 0; r < TileOut; r++, d += ow, q += TileOut * Lanes)
                        {
                            if (accumulate) { d[0] += q[0]; d[1] += q[Lanes]; d[2] += q[2 * Lanes]; d[3] += q[3 * Lanes]; }
                            else { d[0] = q[0]; d[1] = q[Lanes]; d[2] = q[2 * Lanes]; d[3] = q[3 * Lanes]; }
                        }
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++, d += ow, q += tileOut * Lanes)
                            for (int e = 0; e < cols; e++)
                                d[e] = accumulate ? d[e] + q[e * Lanes] : q[e * Lanes];
                    }
                }
            }
        }
    }

    /// <summary>4 = Aᵀ·6 on vectors, plus <paramref name="add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputRow(float* p, long ps, float* q, long qs, Vector512<float> add)
    {
        var m0 = Vector512.Load(p); var m1 = Vector512.Load(p + ps); var m2 = Vector512.Load(p + 2 * ps);
        var m3 = Vector512.Load(p + 3 * ps); var m4 = Vector512.Load(p + 4 * ps); var m5 = Vector512.Load(p + 5 * ps);
        var s12 = m1 + m2; var d12 = m1 - m2; var s34 = m3 + m4; var d34 = m3 - m4;
        (m0 + s12 + s34 + add).Store(q);
        (Vector512.FusedMultiplyAdd(Vector512.Create(2f), d34, d12) + add).Store(q + qs);
        (Vector512.FusedMultiplyAdd(Vector512.Create(4f), s34, s12) + add).Store(q + 2 * qs);
        (Vector512.FusedMultiplyAdd(Vector512.Create(8f), d34, d12) + m5 + add).Store(q + 3 * qs);
    }
}
