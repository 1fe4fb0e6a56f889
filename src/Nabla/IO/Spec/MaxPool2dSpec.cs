namespace Nabla.IO.Spec;

/// <summary><c>maxpool2d</c>: PyTorch's <c>nn.MaxPool2d</c> (padding counts as minus infinity).</summary>
/// <param name="KernelSize">kernel_size (required).</param>
public sealed record MaxPool2dSpec(Size2 KernelSize) : Pool2dSpec(KernelSize)
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.MaxPool2d;
    /// <summary>dilation, default 1.</summary>
    public Size2 Dilation { get; init; } = 1;
}
