namespace Nabla.IO.Spec;

/// <summary><c>dropout</c>: PyTorch's <c>nn.Dropout</c> (elementwise; identity in evaluation mode).</summary>
public sealed record DropoutSpec : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Dropout;
    /// <summary>p, the probability of zeroing an element, in [0, 1], default 0.5.</summary>
    public double P { get; init; } = 0.5;
}
