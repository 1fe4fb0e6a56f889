namespace Nabla.Kernels.Conv;

/// <summary>One input channel, stride 1, dilation 1, a kernel of at most 7x7: the forward runs directly on the padded
/// image (<see cref="DirectConv"/>) instead of unfolding kh·kw copies of it, and so does the weight gradient
/// (<see cref="DirectConv.FilterGrad1"/>); an input gradient, when one is needed, comes from im2col.</summary>
/// <remarks>It pays with many taps and few output channels (LeNet's 1→6 5x5) but not with few taps and many channels
/// (mnist-cnn's 1→32 3x3); measured: docs/performance.md.</remarks>
internal sealed class DirectConv1Conv(Im2ColConv im2col) : ConvAlgorithm
{
    private const int MinTaps = 16, MaxChannels = 16;

    /// <summary>The same multiply-adds as im2col without the unfolded copy of the input.</summary>
    private const double Saving = 0.9;

    public override string Name => "direct-1ch";

    public override bool Supports(in ConvGeometry g) =>
        g.Cin == 1 && g.G == 1 && g.UnitStride && g.Kh <= DirectConv.MaxKernel && g.Kw <= DirectConv.MaxKernel;

    private static bool Pays(in ConvGeometry g) => DirectConv.IsAccelerated && g.Kh * g.Kw >= MinTaps && g.Cout <= MaxChannels;

    public override double Cost(in ConvGeometry g) => Pays(g) ? g.MultiplyAdds * Saving : double.PositiveInfinity;

    public override string Why(in ConvGeometry g) =>
        !DirectConv.IsAccelerated ? "no hardware 256- or 512-bit vectors"
        : g.Kh * g.Kw < MinTaps ? $"too few taps ({g.Kh * g.Kw} < {MinTaps})"
        : g.Cout > MaxChannels ? $"too many output channels ({g.Cout} > {MaxChannels})"
        : "no unfolded copy of the input";

    public override float[]? Forward(in ConvGeometry g, float[] x, float[] w, float[]? b, float[] y, bool relu,
        bool keepForWeightGrad, IConvScratch scratch)
    {
        DirectConv.Conv1(g, x, w, b, y, relu);
        return null;
    }

    /// <inheritdoc/>
    /// <remarks>dW from <see cref="DirectConv.FilterGrad1"/> in fixed runs of images, db straight from dY, dX on im2col.</remarks>
    public override void Backward(in ConvGeometry g, float[] x, float[] w, float[] gd, float[]? yRelu, float[]? state,
        in ConvGrads grads, IConvScratch scratch)
    {
        if (grads.DW is not null)
        {
            int runs = Math.Min(Math.Max(g.N, 1), Im2ColConv.Slots), size = g.WeightLength;
            var part = scratch.Floats(runs * size, clear: false);
            DirectConv.FilterGrad1(g, x, gd, yRelu, runs, part);
            AddPartials(grads.DW.AsSpan(0, size), part, runs, size);
        }
        if (grads.Db is not null) BiasGradFromOutputGrad(g, gd, yRelu, grads.Db);
        if (grads.Dx is not null) im2col.Backward(g, x, w, gd, yRelu, null, grads with { DW = null, Db = null }, scratch);
    }
}
