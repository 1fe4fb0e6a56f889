namespace Nabla.Kernels.Conv;

/// <summary>Scratch memory for a convolution algorithm: the op layer hands in the training step's arena, so the
/// algorithms (which see no Tensor) allocate nothing in a steady-state step.</summary>
internal interface IConvScratch
{
    /// <summary>A float buffer of at least <paramref name="length"/> elements, zeroed when <paramref name="clear"/>.</summary>
    float[] Floats(int length, bool clear);
    /// <summary>A double buffer of at least <paramref name="length"/> elements, zeroed when <paramref name="clear"/>.</summary>
    double[] Doubles(int length, bool clear);
}

/// <summary>The gradient buffers one backward fills; a null buffer is not wanted.</summary>
/// <param name="Dx">dX (N, C_in, H, W): accumulated into, or overwritten when <paramref name="OverwriteDx"/>.</param>
/// <param name="OverwriteDx">dX is a new gradient that the algorithm writes instead of adding to (only when the
/// algorithm asks for it with <see cref="ConvAlgorithm.WritesNewInputGrad"/>).</param>
/// <param name="DW">dW (C_out, C_in/G, kh, kw), accumulated into.</param>
/// <param name="Db">db (C_out), accumulated into.</param>
internal readonly record struct ConvGrads(float[]? Dx, bool OverwriteDx, float[]? DW, float[]? Db);

/// <summary>One convolution algorithm: which geometries it computes, what it costs there, and its forward and
/// backward. <see cref="ConvRegistry"/> holds them all and picks the cheapest that supports a call.</summary>
/// <remarks>The backward computes dX, dW and db in one call rather than as three: the Winograd algorithms transform
/// dY once for both dX and dW, and im2col walks each chunk of dY once for all three.</remarks>
internal abstract class ConvAlgorithm
{
    /// <summary>The name tests and <c>nabla bench --conv-algos</c> use.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the algorithm computes this geometry at all (whatever its speed).</summary>
    public abstract bool Supports(in ConvGeometry g);

    /// <summary>Estimated cost in multiply-adds on this machine; <see cref="double.PositiveInfinity"/> where it is
    /// supported but measured not to pay (docs/performance.md). Only asked when <see cref="Supports"/> holds.</summary>
    public abstract double Cost(in ConvGeometry g);

    /// <summary>Why <see cref="Cost"/> is what it is, in a few words (for <c>nabla bench --conv-algos</c>).</summary>
    public abstract string Why(in ConvGeometry g);

    /// <summary>The backward wants a new dX written, not added to (it clears as it writes).</summary>
    public virtual bool WritesNewInputGrad => false;

    /// <summary>y = conv(x, w) + b (then ReLU when <paramref name="relu"/>), y (N, C_out, OH, OW) fully written.
    /// Returns state for <see cref="Backward"/> (saved columns, transformed weights) or null.</summary>
    /// <param name="g">The call's geometry, validated at the op boundary.</param>
    /// <param name="x">The input (N, C_in, H, W).</param>
    /// <param name="w">The weight (C_out, C_in / groups, KH, KW).</param>
    /// <param name="b">The bias (C_out), or null.</param>
    /// <param name="y">The output (N, C_out, OH, OW), fully written.</param>
    /// <param name="relu">Apply ReLU to the output (a fused activation).</param>
    /// <param name="keepForWeightGrad">A backward will ask for dW: the algorithm may keep what saves it work.</param>
    /// <param name="scratch">The calling thread's scratch buffers.</param>
    public abstract float[]? Forward(in ConvGeometry g, float[] x, float[] w, float[]? b, float[] y, bool relu,
        bool keepForWeightGrad, IConvScratch scratch);

    /// <summary>The gradients of <see cref="Forward"/> from dY (<paramref name="gd"/>), each added to its buffer in
    /// <paramref name="grads"/>. With a fused ReLU, <paramref name="yRelu"/> is the forward's output and dY passes
    /// where it is positive.</summary>
    public abstract void Backward(in ConvGeometry g, float[] x, float[] w, float[] gd, float[]? yRelu, float[]? state,
        in ConvGrads grads, IConvScratch scratch);

    /// <summary>db += Σ dY over images and positions (masked by a fused ReLU's output), straight from dY, one output
    /// channel per task, summed in double.</summary>
    protected static void BiasGradFromOutputGrad(in ConvGeometry g, float[] gd, float[]? yRelu, float[] db) =>
        Workers.Run(g.Cout, (g, gd, yRelu, db), static (j, o) =>
        {
            double sum = 0;
            for (int b = 0; b < j.g.N; b++)
            {
                int at = (b * j.g.Cout + o) * j.g.P;
                sum += j.yRelu is null ? Sums.SumAsDouble(j.gd.AsSpan(at, j.g.P)) : Sums.ReluMaskedSumAsDouble(j.yRelu.AsSpan(at, j.g.P), j.gd.AsSpan(at, j.g.P));
            }
            j.db[o] += (float)sum;
        });

    /// <summary>dW += Σ of <paramref name="runs"/> partial weight gradients of <paramref name="length"/> floats, in run order.</summary>
    protected static void AddPartials(Span<float> dW, float[] part, int runs, int length)
    {
        for (int i = 0; i < runs; i++) Elementwise.AddInPlace(dW, part.AsSpan(i * length, length));
    }
}
