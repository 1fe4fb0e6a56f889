namespace Nabla.IO.Spec;

/// <summary><c>avgpool2d</c>: PyTorch's <c>nn.AvgPool2d</c>.</summary>
/// <param name="KernelSize">kernel_size (required).</param>
public sealed record AvgPool2dSpec(Size2 KernelSize) : Pool2dSpec(KernelSize)
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.AvgPool2d;
    /// <summary>count_include_pad, default true: padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; init; } = true;
}
