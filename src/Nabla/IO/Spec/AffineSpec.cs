namespace Nabla.IO.Spec;

/// <summary>
/// <c>affine scale=S shift=B</c>: y = x·scale + shift with constants — one value for all, or one per channel (per
/// feature for flat inputs), e.g. <c>scale=2,0.5,1</c> — as a PyTorch forward's <c>x * a + b</c> on constant tensors
/// (an input normalisation inside the model, ONNX's Mul/Add/Sub/Div by a constant). The constants are part of the
/// architecture, not parameters: nothing is trained or stored in the weights.
/// </summary>
public sealed record AffineSpec : LayerSpec
{
    /// <summary>Creates the layer.</summary>
    /// <param name="scale">One value, or one per channel/feature.</param>
    /// <param name="shift">One value, or one per channel/feature.</param>
    /// <exception cref="ArgumentException">An empty or non-finite list.</exception>
    public AffineSpec(IReadOnlyList<double> scale, IReadOnlyList<double> shift)
    {
        if (scale.Count == 0 || shift.Count == 0) throw new ArgumentException("scale and shift need at least one value");
        if (scale.Concat(shift).Any(v => !double.IsFinite(v))) throw new ArgumentException("scale and shift must be finite");
        Scale = scale.ToArray();
        Shift = shift.ToArray();
    }

    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Affine;

    /// <summary>The factor: one value, or one per channel/feature.</summary>
    public IReadOnlyList<double> Scale { get; }

    /// <summary>The term added after scaling: one value, or one per channel/feature.</summary>
    public IReadOnlyList<double> Shift { get; }

    /// <summary>Structural equality over the constants; ignores <see cref="LayerSpec.Line"/>.</summary>
    public bool Equals(AffineSpec? other) =>
        base.Equals(other) && Scale.SequenceEqual(other!.Scale) && Shift.SequenceEqual(other.Shift);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Scale.Count, Shift.Count);
}
