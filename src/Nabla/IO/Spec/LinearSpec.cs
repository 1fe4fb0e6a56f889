namespace Nabla.IO.Spec;

/// <summary><c>linear</c>: PyTorch's <c>nn.Linear</c> on a flat input (in_features inferred).</summary>
/// <param name="OutFeatures">out_features (required, positive).</param>
public sealed record LinearSpec(int OutFeatures) : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Linear;
    /// <summary>bias, default true.</summary>
    public bool Bias { get; init; } = true;
}
