namespace Nabla.IO.Spec;

/// <summary><c>batchnorm1d</c>: PyTorch's <c>nn.BatchNorm1d</c> on a flat input.</summary>
public sealed record BatchNorm1dSpec : BatchNormSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.BatchNorm1d;
}
