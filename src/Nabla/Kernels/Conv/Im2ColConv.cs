namespace Nabla.Kernels.Conv;

/// <summary>Convolution lowered to matrix products (im2col): per chunk of images and group, Y = W·cols,
/// dW = Σ dY·colsᵀ, dX = col2im(Wᵀ·dY). Computes every geometry; the fallback of all other algorithms.</summary>
/// <remarks>Unit stride and dilation unfold and fold on <see cref="Im2ColUnit"/>, the rest on <see cref="Im2ColBatch"/>
/// (the same bits). Up to <see cref="SmallGemmMaxChannels"/> output channels per group the products run on
/// <see cref="SmallGemm"/>, otherwise on the packed <see cref="Gemm"/>.</remarks>
internal sealed class Im2ColConv : ConvAlgorithm
{
    /// <summary>Columns (B·OH·OW) a convolution's batched product aims for, and the most floats one image chunk's
    /// columns may take: wide enough for an efficient product, small enough to stay near the caches.</summary>
    private const int TargetColumns = 2048, ColsBudget = 1 << 20;

    /// <summary>Partial sums of a weight gradient: chunks are split into this many contiguous runs whose sums
    /// are added in run order, so the result is the same bit for bit whatever the number of threads.</summary>
    internal const int Slots = 4;

    /// <summary>The most floats of columns a strided or dilated convolution keeps from its forward for the weight
    /// gradient (16 MiB); above it, and always at stride 1 and dilation 1 (where <see cref="Im2ColUnit"/> unfolds
    /// into a cache-resident scratch faster than the saved columns stream through memory twice), the backward
    /// recomputes them chunk by chunk.</summary>
    private const int SavedColsBudget = 1 << 22;

    /// <summary>Output channels per group up to which the products run on <see cref="SmallGemm"/> in blocks of 8 rows
    /// (faster than the packed product at LeNet's 6 and 16 channels; figures in docs/performance.md).</summary>
    private const int SmallGemmMaxChannels = 16;

    [ThreadStatic] private static float[]? t_cols, t_cols2, t_rows;

    public override string Name => "im2col";
    public override bool Supports(in ConvGeometry g) => true;
    public override double Cost(in ConvGeometry g) => g.MultiplyAdds;
    public override string Why(in ConvGeometry g) => UseSmallGemm(g.Cpo, g.K)
        ? "any geometry; few output channels: unpacked 8-row products" : "any geometry; packed matrix products";

    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>Images per chunk of a convolution: a function of the shape only (never of the thread count).</summary>
    internal static int ImagesPerChunk(int n, int k, int p)
    {
        int wanted = Math.Max(1, (TargetColumns + p - 1) / p);
        int budget = Math.Max(1, ColsBudget / Math.Max(1, k * p));
        int per = Math.Clamp(Math.Min(wanted, budget), 1, Math.Max(1, n));
        int chunks = (n + per - 1) / per;
        return Math.Max(1, (n + chunks - 1) / chunks); // as many chunks, evened out (threads get equal shares)
    }

    /// <summary>The chunking of one call into runs of images.</summary>
    private readonly record struct Chunking(ConvGeometry S, int PerChunk)
    {
        public Chunking(in ConvGeometry s) : this(s, ImagesPerChunk(s.N, s.K, s.P)) { }
        public int Chunks => (S.N + PerChunk - 1) / PerChunk;
        public (int First, int Count) Chunk(int ch) { int f = ch * PerChunk; return (f, Math.Min(PerChunk, S.N - f)); }
        /// <summary>Where group <paramref name="gi"/> of the chunk starting at image <paramref name="first"/> keeps its columns.</summary>
        public int SavedOffset(int first, int count, int gi) => (S.G * first + gi * count) * S.K * S.P;
    }

    private static bool UseSmallGemm(int cpo, int k) => cpo <= SmallGemmMaxChannels && k <= SmallGemm.MaxK && SmallGemm.IsAccelerated;

    /// <summary>The columns of <paramref name="count"/> images of one group (x starts at the group's first channel).</summary>
    private static void Unfold(in ConvGeometry s, ReadOnlySpan<float> x, int count, Span<float> cols)
    {
        if (s.UnitStride) Im2ColUnit.Unfold(x, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Window, cols);
        else Im2ColBatch.Unfold(x, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Window, cols);
    }

    /// <summary>dX of <paramref name="count"/> images of one group += the fold of their columns (dx starts at the
    /// group's first channel); the inverse walk of <see cref="Unfold"/>.</summary>
    private static void Fold(in ConvGeometry s, ReadOnlySpan<float> cols, int count, Span<float> dx)
    {
        if (s.UnitStride) Im2ColUnit.Fold(cols, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Window, dx);
        else Im2ColBatch.Fold(cols, count, s.Cin * s.H * s.W, s.Cpg, s.H, s.W, s.Window, dx);
    }

    /// <inheritdoc/>
    /// <remarks>Strided or dilated convolutions whose dW is wanted keep their columns (within a budget) as the state,
    /// so the backward skips recomputing them.</remarks>
    public override float[]? Forward(in ConvGeometry g, float[] x, float[] w, float[]? b, float[] y, bool relu,
        bool keepForWeightGrad, IConvScratch scratch)
    {
        long savedLength = (long)g.G * g.K * g.P * g.N;
        float[]? saved = !g.UnitStride && keepForWeightGrad && savedLength <= SavedColsBudget ? scratch.Floats((int)savedLength, clear: false) : null;
        var c = new Chunking(g);
        Workers.Run(c.Chunks, (c, x, w, b, y, relu, saved),
            static (s, ch) => ForwardChunk(s.c, ch, s.x, s.w, s.b, s.y, s.relu, s.saved));
        return saved;
    }

    /// <summary>Y = W·cols for one chunk of images (one product per group), scattered to NCHW with the bias added
    /// (and the ReLU applied, when fused). The columns go to <paramref name="saved"/> when given.</summary>
    private static void ForwardChunk(in Chunking c, int ch, float[] xd, float[] wd, float[]? bd, float[] yd, bool relu, float[]? saved)
    {
        var s = c.S;
        var (first, count) = c.Chunk(ch);
        int p = s.P, k = s.K, cpo = s.Cpo, cols = count * p;
        var yt = Scratch(ref t_rows, cpo * cols);
        for (int gi = 0; gi < s.G; gi++)
        {
            var cs = saved is null ? Scratch(ref t_cols, k * cols) : saved.AsSpan(c.SavedOffset(first, count, gi), k * cols);
            Unfold(s, xd.AsSpan((first * s.Cin + gi * s.Cpg) * s.H * s.W), count, cs);
            if (UseSmallGemm(cpo, k)) // few output channels: blocks of 8 rows, no packing
                for (int r0 = 0; r0 < cpo; r0 += SmallGemm.MaxM)
                    SmallGemm.Multiply(Math.Min(SmallGemm.MaxM, cpo - r0), cols, k, wd.AsSpan((gi * cpo + r0) * k), k, cs, cols, yt.Slice(r0 * cols), cols);
            else Gemm.Sgemm(false, false, cpo, cols, k, wd.AsSpan(gi * cpo * k, cpo * k), k, cs, cols, yt, cols, 0f);
            for (int b = 0; b < count; b++) // the image's cpo rows, from column b·P of each row of the product
                Activation.BiasReluRows(yt.Slice(b * p), cols, cpo, p, bd is null ? default : bd.AsSpan(gi * cpo, cpo), relu,
                    yd.AsSpan(((first + b) * s.Cout + gi * cpo) * p), p);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Chunk by chunk (the columns are recomputed unless the forward kept them). Chunks run in
    /// <see cref="Slots"/> fixed runs; each run sums its chunks in order into its own partial, and the partials are
    /// added in run order.</remarks>
    public override void Backward(in ConvGeometry g, float[] x, float[] w, float[] gd, float[]? yRelu, float[]? state,
        in ConvGrads grads, IConvScratch scratch)
    {
        if (grads.DW is null && grads.Db is null && grads.Dx is null) return;
        var c = new Chunking(g);
        int slots = Math.Min(c.Chunks, Slots), wn = g.WeightLength;
        var partW = grads.DW is not null ? scratch.Floats(slots * wn, clear: true) : null;
        var partB = grads.Db is not null ? scratch.Doubles(slots * g.Cout, clear: true) : null;
        var job = new BackwardJob(c, slots, x, w, gd, grads.Dx, partW, partB, yRelu, state);
        Workers.Run(slots, job, static (j, slot) => BackwardSlot(j, slot));
        if (partW is not null) AddPartials(grads.DW.AsSpan(0, wn), partW, slots, wn);
        if (partB is not null)
            for (int i = 0; i < slots; i++)
                for (int o = 0; o < g.Cout; o++) grads.Db![o] += (float)partB[i * g.Cout + o];
    }

    private sealed record BackwardJob(Chunking C, int Slots, float[] X, float[] W, float[] G, float[]? Dx,
        float[]? PartW, double[]? PartB, float[]? YRelu, float[]? Saved);

    private static void BackwardSlot(BackwardJob j, int slot)
    {
        var s = j.C.S;
        var (c0, c1) = Workers.Share(j.C.Chunks, j.Slots, slot);
        int p = s.P, k = s.K, cpo = s.Cpo, wn = s.Cout * k;
        for (int ch = c0; ch < c1; ch++)
        {
            var (first, count) = j.C.Chunk(ch);
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
                    if (j.Saved is not null) c = j.Saved.AsSpan(j.C.SavedOffset(first, count, gi), k * cols);
                    else
                    {
                        c = Scratch(ref t_cols, k * cols);
                        Unfold(s, j.X.AsSpan((first * s.Cin + gi * s.Cpg) * s.H * s.W), count, c);
                    }
                    var pw = j.PartW.AsSpan(slot * wn + gi * cpo * k, cpo * k);
                    // More than 8 channels: one call on A's lane panel; up to 8, the dot-product kernel, which wastes
                    // no lanes (LeNet's conv1 and conv2, figures in docs/performance.md).
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
                    Fold(s, dCols, count, j.Dx.AsSpan((first * s.Cin + gi * s.Cpg) * s.H * s.W));
                }
            }
        }
    }
}
