using Nabla.Autograd;
using Nabla.Kernels;
using Nabla.Tensors;

namespace Nabla.Ops;

/// <summary>Stride, padding and dilation of a 2-D convolution, per axis.</summary>
public readonly record struct Conv2dOptions((int h, int w) Stride, (int h, int w) Padding, (int h, int w) Dilation, int Groups)
{
    /// <summary>Stride 1, no padding, dilation 1, one group (PyTorch's defaults).</summary>
    public static Conv2dOptions Default => new((1, 1), (0, 0), (1, 1), 1);
}

public static partial class F
{
    /// <summary>Columns (B·OH·OW) a convolution's batched product aims for, and the most floats one image chunk's
    /// columns may take: wide enough for an efficient product, small enough to stay near the caches.</summary>
    private const int ConvTargetColumns = 2048, ConvColsBudget = 1 << 20;

    /// <summary>Partial sums of a weight gradient: chunks are split into this many contiguous runs whose sums
    /// are added in run order, so the result is the same bit for bit whatever the number of threads.</summary>
    private const int ConvSlots = 4;

    /// <summary>The most floats of columns a strided or dilated convolution keeps from its forward for the weight
    /// gradient (16 MiB); above it, and always at stride 1 and dilation 1 (where <see cref="Im2ColUnit"/> unfolds
    /// into a cache-resident scratch faster than the saved columns stream through memory twice), the backward
    /// recomputes them chunk by chunk.</summary>
    private const int ConvSavedColsBudget = 1 << 22;

    [ThreadStatic] private static float[]? t_cols, t_cols2, t_rows;

    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>Images per chunk of a convolution: a function of the shape only (never of the thread count).</summary>
    internal static int ConvImagesPerChunk(int n, int k, int p)
    {
        int wanted = Math.Max(1, (ConvTargetColumns + p - 1) / p);
        int budget = Math.Max(1, ConvColsBudget / Math.Max(1, k * p));
        int per = Math.Clamp(Math.Min(wanted, budget), 1, Math.Max(1, n));
        int chunks = (n + per - 1) / per;
        return Math.Max(1, (n + chunks - 1) / chunks); // as many chunks, evened out (threads get equal shares)
    }

    /// <summary>
    /// 2-D cross-correlation, as <c>torch.nn.functional.conv2d</c>:
    /// y[n, o, i, j] = b[o] + Σ_{c,a,b} w[o, c, a, b] · x[n, g·C_in/G + c, i·s − p + a·d, j·s − p + b·d].
    /// </summary>
    /// <param name="x">Input (N, C_in, H, W).</param>
    /// <param name="weight">Weight (C_out, C_in/groups, kh, kw).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="opt">Stride, padding, dilation, groups.</param>
    /// <remarks>Lowered per image and group to a matrix product (im2col): Y = W·cols, dW = Σ dY·colsᵀ, dX = col2im(Wᵀ·dY).</remarks>
    /// <exception cref="ArgumentException">Shapes or options that PyTorch would reject, with the same facts in the message.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt) => Conv2dCore(x, weight, bias, opt, relu: false);

    /// <summary><c>relu(conv2d(x, weight, bias))</c> in one op, as <see cref="Conv2d"/> followed by <see cref="Relu"/>
    /// (the same numbers): the ReLU is applied to each output block while it is in cache, and the backward masks the
    /// incoming gradient where the output is not positive instead of running a separate pass.</summary>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/>.</exception>
    public static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt) => Conv2dCore(x, weight, bias, opt, relu: true);

    private static Tensor Conv2dCore(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt, bool relu)
    {
        var (n, cin, h, w) = Check4D(x, "Conv2d");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d: expected weight of shape (C_out, C_in/groups, kh, kw), got {ShapeUtil.Format(weight.Shape)}");
        int cout = weight.Shape[0], cpg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], g = opt.Groups;
        var (sh, sw) = opt.Stride; var (ph, pw) = opt.Padding; var (dh, dw) = opt.Dilation;
        if (g <= 0) throw new ArgumentException($"Conv2d: groups must be positive, got {g}");
        if (sh <= 0 || sw <= 0) throw new ArgumentException($"Conv2d: stride must be positive, got {sh}x{sw}");
        if (dh <= 0 || dw <= 0) throw new ArgumentException($"Conv2d: dilation must be positive, got {dh}x{dw}");
        if (ph < 0 || pw < 0) throw new ArgumentException($"Conv2d: padding must be non-negative, got {ph}x{pw}");
        if (cout % g != 0) throw new ArgumentException($"Conv2d: out_channels ({cout}) must be divisible by groups ({g})");
        if (cpg * g != cin)
            throw new ArgumentException($"Conv2d: given groups={g}, weight of size {ShapeUtil.Format(weight.Shape)}, expected input {ShapeUtil.Format(x.Shape)} to have {cpg * g} channels, but got {cin} channels instead");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"Conv2d: bias must have shape [{cout}], got {ShapeUtil.Format(bias.Shape)}");
        int oh = PoolOutSize(h, kh, sh, ph, dh), ow = PoolOutSize(w, kw, sw, pw, dw);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"Conv2d: calculated padded input size per channel: ({h + 2 * ph} x {w + 2 * pw}); kernel size (dilated): ({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}); kernel size can't be greater than actual input size");

        var geo = new ConvGeometry(n, cin, h, w, cout, g, cpg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
        var y = StepScope.RentTensor([n, cout, oh, ow], clear: false);
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        bool record = Graph.ShouldRecord(inputs);
        // Columns kept for the weight gradient (backward then skips recomputing them), within a budget.
        long savedLength = (long)g * geo.K * geo.P * n;
        bool winograd = UseWinograd(geo);
        float[]? saved = !winograd && !UnitStride(geo) && record && weight.RequiresGrad && savedLength <= ConvSavedColsBudget ? StepScope.RentFloats((int)savedLength, clear: false) : null;
        bool winograd5 = !winograd && UseWinograd5(geo);
        // The Winograd paths return their transformed weights, which their backward reuses.
        float[]? u = winograd ? WinogradForward(geo, x.Data, weight.Data, bias?.Data, y, relu)
            : winograd5 ? Winograd5Forward(geo, x.Data, weight.Data, bias?.Data, y, relu) : null;
        bool direct = !winograd && !winograd5 && saved is null && UseDirectConv1(geo);
        if (direct)
            DirectConv.Conv1(x.Data, n, h, w, weight.Data, cout, kh, kw, ph, pw, bias is null ? default : bias.Data, y.Data, relu);
        else if (u is null) Workers.Run(geo.Chunks, (geo, x.Data, weight.Data, bias?.Data, y.Data, relu, saved),
            static (s, ch) => ConvForwardChunk(s.geo, ch, s.Item2, s.Item3, s.Item4, s.Item5, s.relu, s.saved));
        if (!record) return y;
        return Graph.Record(y, relu ? "conv2d_relu" : "conv2d", inputs, gOut => ConvBackward(geo, x, weight, bias, gOut.Data, relu ? y.Data : null, saved, u, direct));
    }

    /// <summary>The sizes of one convolution call and its chunking into groups of images.</summary>
    private readonly record struct ConvGeometry(int N, int Cin, int H, int W, int Cout, int G, int Cpg, int Kh, int Kw,
        int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, int Oh, int Ow)
    {
        public int P => Oh * Ow;
        public int K => Cpg * Kh * Kw;
        public int Cpo => Cout / G;
        public int PerChunk => ConvImagesPerChunk(N, K, P);
        public int Chunks => (N + PerChunk - 1) / PerChunk;
        public (int First, int Count) Chunk(int ch) { int f = ch * PerChunk; return (f, Math.Min(PerChunk, N - f)); }
        /// <summary>Where group <paramref name="gi"/> of the chunk starting at image <paramref name="first"/> keeps its columns.</summary>
        public int SavedOffset(int first, int count, int gi) => (G * first + gi * count) * K * P;
    }

    /// <summary>Output channels per group up to which the products run on <see cref="SmallGemm"/> in blocks of 8 rows
    /// (measured on LeNet's 6 and 16 channels: 2 to 4 times the packed product's speed at these sizes).</summary>
    private const int SmallGemmMaxChannels = 16;

    private static bool UseSmallGemm(int cpo, int k) => cpo <= SmallGemmMaxChannels && k <= SmallGemm.MaxK && SmallGemm.IsAccelerated;

    /// <summary>Stride 1 and dilation 1: unfold and fold on <see cref="Im2ColUnit"/> (the same bits as <see cref="Im2ColBatch"/>).</summary>
    private static bool UnitStride(in ConvGeometry s) => s.Sh == 1 && s.Sw == 1 && s.Dh == 1 && s.Dw == 1;

    /// <summary>The columns of <paramref name="count"/> images of one group (x starts at the group's first channel).</summary>
    private static void Unfold(in ConvGeometry s, ReadOnlySpan<float> x, int count, Span<float> cols)
    {
        if (UnitStride(s)) Im2ColUnit.Unfold(x, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Kh, s.Kw, s.Ph, s.Pw, cols);
        else Im2ColBatch.Unfold(x, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Kh, s.Kw, s.Sh, s.Sw, s.Ph, s.Pw, s.Dh, s.Dw, cols);
    }

    /// <summary>Y = W·cols for one chunk of images (one product per group), scattered to NCHW with the bias added
    /// (and the ReLU applied, when fused). The columns go to <paramref name="saved"/> when given.</summary>
    private static void ConvForwardChunk(in ConvGeometry s, int ch, float[] xd, float[] wd, float[]? bd, float[] yd, bool relu, float[]? saved)
    {
        var (first, count) = s.Chunk(ch);
        int p = s.P, k = s.K, cpo = s.Cpo, cols = count * p;
        var yt = Scratch(ref t_rows, cpo * cols);
        for (int gi = 0; gi < s.G; gi++)
        {
            var c = saved is null ? Scratch(ref t_cols, k * cols) : saved.AsSpan(s.SavedOffset(first, count, gi), k * cols);
            Unfold(s, xd.AsSpan((first * s.Cin + gi * s.Cpg) * s.H * s.W), count, c);
            if (UseSmallGemm(cpo, k)) // few output channels: blocks of 8 rows, no packing
                for (int r0 = 0; r0 < cpo; r0 += SmallGemm.MaxM)
                    SmallGemm.Multiply(Math.Min(SmallGemm.MaxM, cpo - r0), cols, k, wd.AsSpan((gi * cpo + r0) * k), k, c, cols, yt.Slice(r0 * cols), cols);
            else Gemm.Sgemm(false, false, cpo, cols, k, wd.AsSpan(gi * cpo * k, cpo * k), k, c, cols, yt, cols, 0f);
            for (int b = 0; b < count; b++) // the image's cpo rows, from column b·P of each row of the product
                Activation.BiasReluRows(yt.Slice(b * p), cols, cpo, p, bd is null ? default : bd.AsSpan(gi * cpo, cpo), relu,
                    yd.AsSpan(((first + b) * s.Cout + gi * cpo) * p), p);
        }
    }

    /// <summary>dX = col2im(Wᵀ·dY), dW = Σ dY·colsᵀ, db = Σ dY, chunk by chunk (the columns are recomputed unless the
    /// forward kept them). Chunks run in <see cref="ConvSlots"/> fixed runs; each run sums its chunks in order
    /// into its own partial, and the partials are added in run order.</summary>
    /// <param name="s">The call's sizes and chunking.</param>
    /// <param name="x">The forward's input.</param>
    /// <param name="weight">The forward's weight.</param>
    /// <param name="bias">The forward's bias, or null.</param>
    /// <param name="gd">The output gradient dY (N, C_out, OH, OW).</param>
    /// <param name="yRelu">The output of a fused ReLU (the gradient passes where it is positive), or null.</param>
    /// <param name="saved">The forward's columns, or null to recompute them.</param>
    /// <param name="u">The forward's Winograd-transformed weights when it took that path: dX and dW then come from
    /// <see cref="WinogradBackward"/> instead of im2col; else null.</param>
    /// <param name="direct">The forward ran on <see cref="DirectConv"/>: dW then comes from
    /// <see cref="DirectConv.FilterGrad1"/> (dX, if needed, from im2col).</param>
    private static void ConvBackward(ConvGeometry s, Tensor x, Tensor weight, Tensor? bias, float[] gd, float[]? yRelu, float[]? saved, float[]? u, bool direct)
    {
        bool winograd = u is not null;
        bool needW = weight.RequiresGrad, needB = bias is { RequiresGrad: true }, needX = x.RequiresGrad;
        if (needW && direct) // the direct forward's weight gradient: no columns either (one input channel, stride 1)
        {
            int runs = Math.Min(Math.Max(s.N, 1), ConvSlots), size = weight.Numel;
            var part = StepScope.RentFloats(runs * size, clear: false);
            DirectConv.FilterGrad1(x.Data, s.N, s.H, s.W, gd, yRelu, s.Cout, s.Kh, s.Kw, s.Ph, s.Pw, runs, part);
            var dW = Graph.GradOf(weight).Span;
            for (int i = 0; i < runs; i++) Elementwise.AddInPlace(dW, part.AsSpan(i * size, size));
            needW = false;
        }
        if (needB && (winograd || direct)) // straight from dY (and the ReLU outputs): no chunk copies, one output channel per part
        {
            Workers.Run(s.Cout, (s, gd, yRelu, db: Graph.GradOf(bias!).Data), static (j, o) =>
            {
                double sum = 0;
                for (int b = 0; b < j.s.N; b++)
                {
                    int at = (b * j.s.Cout + o) * j.s.P;
                    sum += j.yRelu is null ? Sums.SumAsDouble(j.gd.AsSpan(at, j.s.P)) : Sums.ReluMaskedSumAsDouble(j.yRelu.AsSpan(at, j.s.P), j.gd.AsSpan(at, j.s.P));
                }
                j.db[o] += (float)sum;
            });
            needB = false;
        }
        int slots = Math.Min(s.Chunks, ConvSlots), wn = weight.Numel;
        var partW = needW && !winograd ? StepScope.RentFloats(slots * wn, clear: true) : [];
        var partB = needB ? StepScope.RentDoubles(slots * s.Cout, clear: true) : [];
        bool dxAccumulate = true; // a new gradient of a Winograd convolution's input is cleared chunk by chunk as it is written
        var dx = !needX ? null : winograd ? Graph.GradToWrite(x, out dxAccumulate).Data : Graph.GradOf(x).Data;
        if (winograd && (needX || needW)) WinogradBackward(s, x.Data, gd, yRelu, u!, needX ? dx : null, !dxAccumulate, needW ? Graph.GradOf(weight).Span : default);
        var job = new ConvBackwardJob(s, slots, x.Data, weight.Data, gd, winograd ? null : dx, needW && !winograd ? partW : null, needB ? partB : null, yRelu, saved);
        if ((needW && !winograd) || needB || (needX && !winograd)) Workers.Run(slots, job, static (j, slot) => ConvBackwardSlot(j, slot));
        if (needW && !winograd)
        {
            var dW = Graph.GradOf(weight).Span;
            for (int i = 0; i < slots; i++) Elementwise.AddInPlace(dW, partW.AsSpan(i * wn, wn));
        }
        if (needB)
        {
            var db = Graph.GradOf(bias!).Data;
            for (int i = 0; i < slots; i++)
                for (int o = 0; o < s.Cout; o++) db[o] += (float)partB[i * s.Cout + o];
        }
    }

    private sealed record ConvBackwardJob(ConvGeometry S, int Slots, float[] X, float[] W, float[] G, float[]? Dx,
        float[]? PartW, double[]? PartB, float[]? YRelu, float[]? Saved);

    private static void ConvBackwardSlot(ConvBackwardJob j, int slot)
    {
        var s = j.S;
        var (c0, c1) = Workers.Share(s.Chunks, j.Slots, slot);
        int p = s.P, k = s.K, cpo = s.Cpo, wn = s.Cout * k;
        for (int ch = c0; ch < c1; ch++)
        {
            var (first, count) = s.Chunk(ch);
            int cols = count * p;
            var dy = Scratch(ref t_rows, cpo * cols);
            for (int gi = 0; gi < s.G; gi++)
            {
                for (int b = 0; b < count; b++)
                {
                    int at = ((first + b) * s.Cout + gi * cpo) * p; // the image's cpo rows of dY, to column b·P of each row of dy
                    if (j.YRelu is not null) Activation.ReluMaskRows(j.YRelu.AsSpan(at), j.G.AsSpan(at), cpo, p, p, dy.Slice(b * p), cols);
                    else for (int o = 0; o < cpo; o++) j.G.AsSpan(at + o * p, p).CopyTo(dy.Slice(o * cols + b * p, p));
                }
                var wg = j.W.AsSpan(gi * cpo * k, cpo * k);
                if (j.PartW is not null)
                {
                    Span<float> c;
                    if (j.Saved is not null) c = j.Saved.AsSpan(s.SavedOffset(first, count, gi), k * cols);
                    else
                    {
                        c = Scratch(ref t_cols, k * cols);
                        Unfold(s, j.X.AsSpan((first * s.Cin + gi * s.Cpg) * s.H * s.W), count, c);
                    }
                    var pw = j.PartW.AsSpan(slot * wn + gi * cpo * k, cpo * k);
                    // More than 8 channels: one call on A's lane panel (LeNet's 6→16, 16 images, one thread: 215 →
                    // 50 µs); up to 8, the dot-product kernel, which wastes no lanes (6 channels, 25 rows of 2,352
                    // columns: 6.0 against 10–12 µs on the panel).
                    if (UseSmallGemm(cpo, k) && cpo > SmallGemm.MaxM) SmallGemm.MultiplyTransposedBPanel(cpo, k, cols, dy, cols, c, cols, pw, k, accumulate: true);
                    else if (UseSmallGemm(cpo, k)) SmallGemm.MultiplyTransposedB(cpo, k, cols, dy, cols, c, cols, pw, k, accumulate: true);
                    else Gemm.Sgemm(false, true, cpo, k, cols, dy, cols, c, cols, pw, k, 1f);
                }
                if (j.PartB is not null)
                    for (int o = 0; o < cpo; o++) // in double, as the gradient check of small biases needs
                        j.PartB[slot * s.Cout + gi * cpo + o] += Sums.SumAsDouble(dy.Slice(o * cols, cols));
                if (j.Dx is not null)
                {
                    var dCols = Scratch(ref t_cols2, k * cols);
                    if (UseSmallGemm(cpo, k)) // Wᵀ·dY, 8 columns of W at a time
                        for (int r0 = 0; r0 < k; r0 += SmallGemm.MaxM)
                            SmallGemm.MultiplyTransposedA(Math.Min(SmallGemm.MaxM, k - r0), cols, cpo, wg.Slice(r0), k, dy, cols, dCols.Slice(r0 * cols), cols);
                    else Gemm.Sgemm(true, false, k, cols, cpo, wg, k, dy, cols, dCols, cols, 0f);
                    var dxPart = j.Dx.AsSpan((first * s.Cin + gi * s.Cpg) * s.H * s.W);
                    if (UnitStride(s)) Im2ColUnit.Fold(dCols, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Kh, s.Kw, s.Ph, s.Pw, dxPart);
                    else Im2ColBatch.Fold(dCols, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Kh, s.Kw, s.Sh, s.Sw, s.Ph, s.Pw, s.Dh, s.Dw, dxPart);
                }
            }
        }
    }

    /// <summary>One input channel, stride 1, dilation 1, a kernel of at most 7x7: the forward can run directly on the
    /// padded image (<see cref="DirectConv"/>) instead of unfolding kh·kw copies of it, and so does the weight gradient
    /// (<see cref="DirectConv.FilterGrad1"/>); an input gradient, when one is needed, stays on im2col.
    /// It pays with many taps and few output channels (LeNet's 1→6 5x5: 250–300 → 171–182 µs per batch of 64 at 2
    /// threads) but not with few taps and many channels (mnist-cnn's 1→32 3x3: im2col 220–450 µs, direct 536–612 µs).
    /// Tests force it off (false) or on (true) through <see cref="t_forceDirect"/>.</summary>
    private static bool UseDirectConv1(in ConvGeometry s)
    {
        bool fits = s.Cin == 1 && s.G == 1 && UnitStride(s) && s.Kh <= DirectConv.MaxKernel && s.Kw <= DirectConv.MaxKernel;
        if (!fits) return false;
        return t_forceDirect ?? (DirectConv.IsAccelerated && s.Kh * s.Kw >= DirectMinTaps && s.Cout <= DirectMaxChannels);
    }

    private const int DirectMinTaps = 16, DirectMaxChannels = 16;

    /// <summary>Tests force the direct one-channel forward on or off; null lets <see cref="UseDirectConv1"/> decide.</summary>
    [ThreadStatic] internal static bool? t_forceDirect;

    // ---- Winograd F(4x4,3x3) for 3x3, stride-1, dilation-1, ungrouped convolutions (Kernels/Winograd*.cs) ----

    /// <summary>Tests force the Winograd path on (true) or off (false); null lets <see cref="UseWinograd"/> decide.
    /// Per thread, read when the forward runs (the backward follows the forward's choice).</summary>
    [ThreadStatic] internal static bool? t_forceWinograd;

    /// <summary>Whether a convolution takes the Winograd path: a shape it computes, on hardware vectors, and
    /// enough channels and outputs for the transforms to pay (measured: docs/performance.md).</summary>
    private static bool UseWinograd(in ConvGeometry s)
    {
        bool fits = s.G == 1 && s.Kh == 3 && s.Kw == 3 && s.Sh == 1 && s.Sw == 1 && s.Dh == 1 && s.Dw == 1;
        if (!fits) return false;
        if (t_forceWinograd is { } forced) return forced;
        return Winograd.IsAccelerated && s.Cin >= WinogradMinChannels && s.Cout >= WinogradMinChannels
            && s.Oh >= WinogradMinSide && s.Ow >= WinogradMinSide
            && (long)s.N * Winograd.Tiles(s.Oh) * Winograd.Tiles(s.Ow) >= WinogradMinTiles;
    }

    /// <summary>Below these the im2col product is as fast or faster: few channels (the transforms dominate), small
    /// planes (too many outputs of the last tiles are wasted), few tiles in all (the 36 products are too narrow;
    /// batch-1 inference).</summary>
    private const int WinogradMinChannels = 16, WinogradMinSide = 8, WinogradMinTiles = 128;

    /// <summary>Tests force the F(2x2, 5x5) forward on (true) or off (false); null lets <see cref="UseWinograd5"/> decide.</summary>
    [ThreadStatic] internal static bool? t_forceWinograd5;

    /// <summary>Whether a 5x5 convolution's forward runs on F(2x2, 5x5) (<see cref="Winograd.Conv5x5"/>): the same
    /// conditions as <see cref="UseWinograd"/> (enough channels and tiles for the transforms to pay) with a 5x5 kernel.
    /// alexnet-mnist's 96→256 layer on 23x23 planes: see docs/performance.md. The backward follows the forward's choice.</summary>
    private static bool UseWinograd5(in ConvGeometry s)
    {
        bool fits = s.G == 1 && s.Kh == 5 && s.Kw == 5 && s.Sh == 1 && s.Sw == 1 && s.Dh == 1 && s.Dw == 1;
        if (!fits) return false;
        if (t_forceWinograd5 is { } forced) return forced;
        int tiles = (s.Oh + Winograd.TileOut5 - 1) / Winograd.TileOut5 * ((s.Ow + Winograd.TileOut5 - 1) / Winograd.TileOut5);
        return Winograd.IsAccelerated && s.Cin >= WinogradMinChannels && s.Cout >= WinogradMinChannels
            && s.Oh >= WinogradMinSide && s.Ow >= WinogradMinSide && (long)s.N * tiles >= WinogradMinTiles;
    }

    /// <summary>y = the 5x5 convolution by F(2x2, 5x5); returns the transformed weights, which the backward reuses.</summary>
    private static float[] Winograd5Forward(in ConvGeometry s, float[] x, float[] w, float[]? b, Tensor y, bool relu)
    {
        var u = StepScope.RentFloats(Winograd.WeightLength(s.Cout, s.Cin), clear: false);
        Winograd.TransformWeights5x5(w, s.Cout, s.Cin, u);
        Winograd.Conv5x5(x, s.N, s.Cin, s.H, s.W, u, s.Cout, s.Oh, s.Ow, s.Ph, s.Pw, b, y.Data, relu);
        return u;
    }

    /// <summary>y = the convolution by F(4x4,3x3); returns the transformed weights, which the backward reuses.</summary>
    private static float[] WinogradForward(in ConvGeometry s, float[] x, float[] w, float[]? b, Tensor y, bool relu)
    {
        var u = StepScope.RentFloats(Winograd.WeightLength(s.Cout, s.Cin), clear: false);
        Winograd.TransformWeights(w, s.Cout, s.Cin, flipTranspose: false, u);
        Winograd.Conv(x, s.N, s.Cin, s.H, s.W, u, s.Cout, s.Oh, s.Ow, s.Ph, s.Pw, b, y.Data, accumulate: false, relu);
        return u;
    }

    /// <summary>dX += (or =, for a new gradient) and dW += by <see cref="Winograd.Backward"/> (one transform of dY for
    /// both, the ReLU mask applied as it is read); dW as the sum of Winograd's fixed runs of chunks, in run order.</summary>
    private static void WinogradBackward(in ConvGeometry s, float[] x, float[] gd, float[]? yRelu, float[] u, float[]? dx, bool overwriteDx, Span<float> dW)
    {
        int slots = Winograd.FilterGradSlots(s.N, s.Cin, s.Cout, s.Oh, s.Ow, ConvSlots, s.Kh), wn = s.Cout * s.Cin * s.Kh * s.Kw;
        var part = dW.IsEmpty ? null : StepScope.RentFloats(slots * wn, clear: false);
        Winograd.Backward(x, s.N, s.Cin, s.H, s.W, gd, yRelu, s.Cout, s.Oh, s.Ow, s.Ph, s.Pw, u, dx, slots, part, overwriteDx, s.Kh);
        if (part is null) return;
        for (int i = 0; i < slots; i++) Elementwise.AddInPlace(dW, part.AsSpan(i * wn, wn));
    }
}
