using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static partial class Winograd
{
    [ThreadStatic] private static float[]? t_stageY;
    [ThreadStatic] private static int[]? t_backTiles;

    /// <summary>
    /// The backward of a 3x3 stride-1 convolution by F(4x4, 3x3), as the adjoint of <see cref="Conv"/> (Lavin &amp; Gray,
    /// 2016), or of a 5x5 one by F(2x2, 5x5) as the adjoint of <see cref="Conv5x5"/> (<c>kernel: 5</c>, 2x2 tiles whose
    /// 6x6 windows overlap by 4): per chunk of images and per tile, <c>dM = A dY Aᵀ</c> (dY masked by <c>y &gt; 0</c> when the forward's ReLU
    /// outputs are given), then
    /// <list type="bullet">
    /// <item>the weight gradient <c>dU[ξ] += dM[ξ]·V[ξ]ᵀ</c> with <c>V = Bᵀ x B</c>, <c>dW = Gᵀ dU G</c>, in
    /// <paramref name="slots"/> partial sums as <see cref="FilterGrad"/>;</item>
    /// <item>the input gradient <c>dV[ξ] = U[ξ]ᵀ·dM[ξ]</c> with the forward's transformed weights, and
    /// <c>dx += B dV Bᵀ</c> over each tile's 6x6 input window (neighbouring windows overlap by 2 and add; positions in
    /// the padding are dropped).</item>
    /// </list>
    /// Both share one transform of dY, on the forward's tiles: no padded copy of dY, no flipped kernels, no separate
    /// pass for the ReLU mask.
    /// </summary>
    /// <remarks>Chunks of images are split into <paramref name="slots"/> fixed runs, as <see cref="FilterGrad"/>; every
    /// image belongs to one chunk, whose input gradient one thread adds in a fixed order, so dx and the partials are the
    /// same bits for any <see cref="Workers.Count"/>. The naive twins are in the tests
    /// (<c>NaiveTwins/WinogradNaive.cs</c>).</remarks>
    /// <param name="g">The sizes (N, C_in, H, W, C_out, OH, OW, padding), validated at the op boundary; OH and OW may be any. The kernel side g.Kh picks the algorithm: 3 for F(4x4, 3x3) (weights from <see cref="TransformWeights"/>), 5 for F(2x2, 5x5) (from <see cref="TransformWeights5x5"/>; 2x2 gradient tiles, partials of C_out·C_in·25).</param>
    /// <param name="x">The forward's input (N, C_in, H, W); may be empty when <paramref name="partials"/> is.</param>
    /// <param name="dy">Output gradient (N, C_out, OH, OW).</param>
    /// <param name="yRelu">The forward's ReLU outputs (N, C_out, OH, OW), or empty when the convolution has no fused ReLU.</param>
    /// <param name="u">The forward's transformed weights (<see cref="TransformWeights"/> without flip); may be empty when
    /// <paramref name="dx"/> is.</param>
    /// <param name="dx">Input gradient (N, C_in, H, W), added to (or overwritten, with <paramref name="overwriteDx"/>);
    /// empty for none.</param>
    /// <param name="slots">Partial sums, from <see cref="FilterGradSlots"/>.</param>
    /// <param name="partials">slots x C_out·C_in·9 floats, each overwritten; empty for no weight gradient.</param>
    /// <param name="overwriteDx">dx's old contents are ignored (they may be garbage): each chunk clears its images'
    /// part of dx, while it is about to be written, before adding (a new gradient needs no separate clearing pass).</param>
    /// <exception cref="ArgumentException">A size is not positive, slots is out of range, the kernel is not 3 or 5, or a span is too short.</exception>
    /// <param name="tileOut">0 for the kernel's usual tiles (F(4x4, 3x3), F(2x2, 5x5)); 4 with a 5x5 kernel for
    /// F(4x4, 5x5) on 8x8 tiles, the adjoint of <see cref="Conv5x5F4"/> (weights from <see cref="TransformWeights5x5F4"/>).</param>
    public static unsafe void Backward(in Nabla.Kernels.Conv.ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> yRelu, ReadOnlySpan<float> u, Span<float> dx, int slots, Span<float> partials, bool overwriteDx = false, int tileOut = 0) =>
        BackwardCore(g, x, dy, yRelu, u, dx, slots, partials, overwriteDx, Avx512F.VL.IsSupported, tileOut);

    /// <summary><see cref="Backward"/> with the scatter of dX chosen: masked vectors (AVX-512VL) or one element at a time
    /// (tests run both).</summary>
    internal static unsafe void BackwardCore(in Nabla.Kernels.Conv.ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> yRelu, ReadOnlySpan<float> u, Span<float> dx, int slots, Span<float> partials, bool overwriteDx, bool maskedScatter, int tileOut = 0)
    {
        int n = g.N, cin = g.Cin, h = g.H, w = g.W, cout = g.Cout, oh = g.Oh, ow = g.Ow, ph = g.Ph, pw = g.Pw, kernel = g.Kh;
        if (n <= 0 || cin <= 0 || h <= 0 || w <= 0 || cout <= 0 || oh <= 0 || ow <= 0)
            throw new ArgumentException($"Winograd: sizes must be positive, got N={n} C_in={cin} H={h} W={w} C_out={cout} OH={oh} OW={ow}");
        if (kernel != 3 && kernel != 5) throw new ArgumentException($"Winograd: kernel must be 3 or 5, got {kernel}");
        if (tileOut != 0 && !(kernel == 5 && tileOut == TileOut)) throw new ArgumentException($"Winograd: tileOut {tileOut} is not a tiling of a {kernel}x{kernel} kernel here");
        var s = Shape(n, cin, h, w, cout, oh, ow, ph, pw, kernel, tileOut);
        if (slots < 1 || slots > s.Chunks) throw new ArgumentException($"Winograd: slots must be 1..{s.Chunks}, got {slots}");
        long wn = (long)cout * cin * kernel * kernel, xn = (long)n * cin * h * w, yn = (long)n * cout * oh * ow;
        bool wantW = !partials.IsEmpty, wantX = !dx.IsEmpty;
        if (wantW && x.Length < xn) throw new ArgumentException($"Winograd: input needs {xn} floats, span has {x.Length}");
        if (dy.Length < yn) throw new ArgumentException($"Winograd: output gradient needs {yn} floats, span has {dy.Length}");
        if (!yRelu.IsEmpty && yRelu.Length < yn) throw new ArgumentException($"Winograd: ReLU outputs need {yn} floats, span has {yRelu.Length}");
        if (wantW && partials.Length < slots * wn) throw new ArgumentException($"Winograd: partials need {slots * wn} floats, span has {partials.Length}");
        if (wantX && dx.Length < xn) throw new ArgumentException($"Winograd: input gradient needs {xn} floats, span has {dx.Length}");
        if (wantX && u.Length < (long)s.Positions * cout * cin) throw new ArgumentException($"Winograd: transformed weights need {(long)s.Positions * cout * cin} floats, span has {u.Length}");
        if (!wantW && !wantX) return;
        // dV's products read U[ξ]ᵀ: into A panels once per call, not once per chunk.
        var path = Gemm.HardwarePath;
        long panelLength = wantX ? Gemm.PanelsALength(path, cin, cout) : 0;
        var panels = wantX ? Grow(ref t_panels, s.Positions * panelLength) : null;
        fixed (float* px = x, pg = dy, py = yRelu, pu = u, pdx = dx, pp = partials, pan = panels)
        {
            if (wantX) PackWeightPanels(path, pu, cout, cin, s.Positions, transpose: true, pan, panelLength);
            bool masked = maskedScatter && Avx512F.VL.IsSupported;
            var job = new BackwardJob(s, px, pg, yRelu.IsEmpty ? null : py, wantX ? pan : null, panelLength, path, wantX ? pdx : null, wantW ? pp : null, slots, masked, overwriteDx);
            Workers.Run(slots, job, static (j, slot) => BackwardSlot(j, slot));
        }
    }

    /// <summary>One call's operands; <paramref name="panels"/> holds U[ξ]ᵀ in A panels, <paramref name="panelLength"/> floats apart.</summary>
    private readonly unsafe struct BackwardJob(ConvShape s, float* x, float* g, float* y, float* panels, long panelLength, GemmPath path, float* dx, float* partials, int slots, bool masked, bool clearDx)
    {
        public readonly ConvShape S = s;
        public readonly float* X = x, G = g, Y = y, Panels = panels, Dx = dx, Partials = partials;
        public readonly long PanelLength = panelLength;
        public readonly GemmPath Path = path;
        public readonly int Slots = slots;
        public readonly bool Masked = masked, ClearDx = clearDx;
    }

    private static unsafe void BackwardSlot(BackwardJob j, int slot)
    {
        var s = j.S;
        var (c0, c1) = Workers.Share(s.Chunks, j.Slots, slot);
        int cin = s.Cin, cout = s.Cout, kernels = cin * cout;
        int tpi = s.TilesPerImage, tilesW = s.TilesW;
        int gh = s.Out * s.TilesH, gw = s.Out * tilesW;
        bool gInPlace = gh == s.Oh && gw == s.Ow, wantW = j.Partials != null, wantX = j.Dx != null;
        var du = wantW ? Grow(ref t_du, (long)s.Positions * kernels) : null;
        fixed (float* pdu = du)
        {
            for (int ch = c0; ch < c1; ch++)
            {
                int first = ch * s.PerChunk, count = Math.Min(s.PerChunk, s.N - first);
                int t = count * tpi, t16 = (t + Lanes - 1) / Lanes * Lanes;
                int rowStride = s.InPlace ? s.W : s.Ws, planeStride = s.InPlace ? s.H * s.W : s.Hs * s.Ws;
                var stage = !wantW || s.InPlace ? null : Grow(ref t_stage, (long)count * cin * planeStride);
                var stageG = gInPlace ? null : Grow(ref t_stageG, (long)count * cout * gh * gw);
                var stageY = gInPlace || j.Y == null ? null : Grow(ref t_stageY, (long)count * cout * gh * gw);
                var tiles = t_backTiles is { } tt && tt.Length >= 6 * t16 ? tt : (t_backTiles = new int[6 * t16]);
                long vStride = SkewedStride((long)cin * t16), mStride = SkewedStride((long)cout * t16);
                var v = Grow(ref t_v, s.Positions * vStride);
                var m = Grow(ref t_m, s.Positions * mStride);
                fixed (float* pStage = stage, pStageG = stageG, pStageY = stageY, pv = v, pm = m)
                fixed (int* pt = tiles)
                {
                    float* x = j.X + (long)first * cin * s.H * s.W, g = j.G + (long)first * cout * s.Oh * s.Ow;
                    float* y = j.Y == null ? null : j.Y + (long)first * cout * s.Oh * s.Ow;
                    float* src = x, gsrc = g, ysrc = y;
                    if (pStage != null) { Stage(x, count * cin, s.H, s.W, s.Hs, s.Ws, s.Ph, s.Pw, pStage); src = pStage; }
                    if (pStageG != null) { Stage(g, count * cout, s.Oh, s.Ow, gh, gw, 0, 0, pStageG); gsrc = pStageG; }
                    if (pStageY != null) { Stage(y, count * cout, s.Oh, s.Ow, gh, gw, 0, 0, pStageY); ysrc = pStageY; }
                    // Per tile: x and dY offsets (staged coordinates), and where its input window falls in dx: offset of
                    // the window's corner, first and end row inside the planes, and a bit per column inside them.
                    int* srcOff = pt, gOff = pt + t16, dxOff = pt + 2 * t16, rowLo = pt + 3 * t16, rowHi = pt + 4 * t16, colBits = pt + 5 * t16;
                    for (int i = 0; i < t16; i++)
                    {
                        int ti = Math.Min(i, t - 1), b = ti / tpi, r = ti - b * tpi, th = r / tilesW, tw = r - th * tilesW;
                        srcOff[i] = b * cin * planeStride + s.Out * th * rowStride + s.Out * tw;
                        gOff[i] = b * cout * gh * gw + s.Out * th * gw + s.Out * tw;
                        int r0 = s.Out * th - s.Ph, q0 = s.Out * tw - s.Pw, bits = 0;
                        for (int e = 0; e < s.In; e++) if (q0 + e >= 0 && q0 + e < s.W) bits |= 1 << e;
                        dxOff[i] = b * cin * s.H * s.W + r0 * s.W + q0;
                        rowLo[i] = Math.Max(0, -r0);
                        rowHi[i] = i < t && bits != 0 ? Math.Min(s.In, s.H - r0) : 0; // spare lanes add nothing
                        colBits[i] = bits;
                    }
                    GradTransform(gsrc, ysrc, cout, gh * gw, gw, gOff, t16, pm, mStride, s.Out, s.In);
                    if (wantW)
                    {
                        InputTransform(src, cin, planeStride, rowStride, srcOff, t16, pv, vStride, null, s.In);
                        // dU[ξ] (+)= dM[ξ] · V[ξ]ᵀ over this chunk's t tiles (the spare lanes are not summed).
                        for (int xi = 0; xi < s.Positions; xi++)
                            Gemm.Sgemm(false, true, cout, cin, t,
                                new ReadOnlySpan<float>(pm + xi * mStride, cout * t16), t16,
                                new ReadOnlySpan<float>(pv + xi * vStride, cin * t16), t16,
                                new Span<float>(pdu + (long)xi * kernels, kernels), cin, ch == c0 ? 0f : 1f);
                    }
                    if (wantX)
                    {
                        // dV[ξ] = U[ξ]ᵀ · dM[ξ] (C_in x tiles), into the buffer V no longer needs.
                        for (int xi = 0; xi < s.Positions; xi++)
                            Gemm.SgemmPanels(j.Path, cin, t, cout, j.Panels + xi * j.PanelLength, null, pm + xi * mStride, t16, false,
                                pv + xi * vStride, t16, accumulate: false);
                        if (j.ClearDx) new Span<float>(j.Dx + (long)first * cin * s.H * s.W, count * cin * s.H * s.W).Clear();
                        AdjointInputTransform(pv, vStride, cin, t16, j.Dx + (long)first * cin * s.H * s.W, s.H * s.W, s.W,
                            dxOff, rowLo, rowHi, colBits, j.Masked, s.In);
                    }
                }
            }
            if (wantW)
            {
                int k = s.In - s.Out + 1; // the kernel side
                FilterTransform(pdu, kernels, j.Partials + (long)slot * kernels * k * k, k, s.In);
            }
        }
    }

    /// <summary>dx[window of each tile] += B dV Bᵀ for every tile and input channel: the adjoint of
    /// <see cref="InputTransform"/>, added over the 6x6 windows (rows <paramref name="rowLo"/>..<paramref name="rowHi"/>,
    /// the columns in <paramref name="colBits"/>) with masked loads and stores (<paramref name="masked"/>; else one
    /// element at a time), so nothing outside a window is touched.</summary>
    private static unsafe void AdjointInputTransform(float* v, long xiStride, int cin, int t16, float* dx, int plane, int w,
        int* dxOff, int* rowLo, int* rowHi, int* colBits, bool masked, int tileIn = TileIn)
    {
        // blk[8·row + column] holds element (row, column) of the 16 lanes' 6x6 (or 8x8) results (with 6x6, columns
        // 6, 7 unused), then, after three (four) 16 x 16 transposes, blk[16·p + lane] holds rows 2p and 2p + 1 of that
        // lane (8 floats each).
        Vector512<float>* blk = stackalloc Vector512<float>[4 * Lanes];
        float* buf = (float*)blk;
        float* tmp = stackalloc float[Positions8 * Lanes];
        bool eight = tileIn == TileIn8;
        const int RowStride = 8 * Lanes;
        var bit = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
        for (int c = 0; c < cin; c++)
        {
            float* dxc = dx + (long)c * plane;
            for (int g = 0; g < t16; g += Lanes)
            {
                float* src = v + (long)c * t16 + g;
                if (eight)
                {
                    for (int a = 0; a < TileIn8; a++) AdjointRow8(src + a * TileIn8 * xiStride, xiStride, tmp + a * TileIn8 * Lanes, Lanes);
                    for (int e = 0; e < TileIn8; e++) AdjointRow8(tmp + e * Lanes, TileIn8 * Lanes, buf + e * Lanes, RowStride);
                }
                else
                {
                    for (int a = 0; a < TileIn; a++) AdjointRow(src + a * TileIn * xiStride, xiStride, tmp + a * TileIn * Lanes, Lanes); // along columns: tmp[a][j]
                    for (int e = 0; e < TileIn; e++) AdjointRow(tmp + e * Lanes, TileIn * Lanes, buf + e * Lanes, RowStride);           // along rows: buf[i][j]
                }
                if (!masked)
                {
                    for (int l = 0; l < Lanes; l++)
                    {
                        int lo = rowLo[g + l], hi = rowHi[g + l], bits = colBits[g + l];
                        float* d = dxc + dxOff[g + l];
                        for (int a = lo; a < hi; a++)
                            for (int e = 0; e < tileIn; e++)
                                if ((bits >> e & 1) != 0) d[(long)a * w + e] += buf[a * RowStride + e * Lanes + l];
                    }
                    continue;
                }
                for (int p = 0; p < tileIn / 2; p++) Transpose16(blk + p * Lanes);
                for (int l = 0; l < Lanes; l++)
                {
                    int lo = rowLo[g + l], hi = rowHi[g + l];
                    if (lo >= hi) continue;
                    var mask = Vector256.Equals(Vector256.Create(colBits[g + l]) & bit, bit).AsSingle();
                    float* d = dxc + dxOff[g + l];
                    for (int a = lo; a < hi; a++)
                    {
                        var pair = blk[(a >> 1) * Lanes + l];
                        var row = (a & 1) == 0 ? pair.GetLower() : pair.GetUpper();
                        float* q = d + (long)a * w;
                        Avx512F.VL.MaskStore(q, mask, Avx512F.VL.MaskLoad(q, mask, Vector256<float>.Zero) + row);
                    }
                }
            }
        }
    }

    /// <summary>6 = B·6 on vectors (the adjoint of <see cref="InputRow"/>): <c>q_j = Σ_i Bᵀ[i][j] p_i</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AdjointRow(float* p, long ps, float* q, long qs)
    {
        var v0 = Vector512.Load(p); var v1 = Vector512.Load(p + ps); var v2 = Vector512.Load(p + 2 * ps);
        var v3 = Vector512.Load(p + 3 * ps); var v4 = Vector512.Load(p + 4 * ps); var v5 = Vector512.Load(p + 5 * ps);
        var s12 = v1 + v2; var d12 = v1 - v2; var s34 = v3 + v4; var d34 = v3 - v4;
        var four = Vector512.Create(4f); var two = Vector512.Create(2f); var five = Vector512.Create(5f);
        (four * v0).Store(q);
        Vector512.FusedMultiplyAdd(four, v5, -Vector512.FusedMultiplyAdd(four, d12, two * d34)).Store(q + qs);
        (-Vector512.FusedMultiplyAdd(five, v0, Vector512.FusedMultiplyAdd(four, s12, s34))).Store(q + 2 * qs);
        (Vector512.FusedMultiplyAdd(two, d34, d12) - five * v5).Store(q + 3 * qs);
        (v0 + s12 + s34).Store(q + 4 * qs);
        v5.Store(q + 5 * qs);
    }
}
