namespace Nabla.IO.Spec;

/// <summary><c>batchnorm2d</c>: PyTorch's <c>nn.BatchNorm2d</c> on a C x H x W input.</summary>
public sealed record BatchNorm2dSpec : BatchNormSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.BatchNorm2d;
}
