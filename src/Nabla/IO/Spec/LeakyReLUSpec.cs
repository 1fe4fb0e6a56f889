namespace Nabla.IO.Spec;

/// <summary><c>leakyrelu</c>: PyTorch's <c>nn.LeakyReLU</c>.</summary>
public sealed record LeakyReLUSpec : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.LeakyReLU;
    /// <summary>negative_slope, default 0.01.</summary>
    public double NegativeSlope { get; init; } = 0.01;
}
