namespace Nabla.IO.Spec;

/// <summary><c>conv2d</c>: PyTorch's <c>nn.Conv2d</c> (in_channels inferred from the input).</summary>
/// <param name="OutChannels">out_channels (required, positive, divisible by <see cref="Groups"/>).</param>
/// <param name="KernelSize">kernel_size (required).</param>
public sealed record Conv2dSpec(int OutChannels, Size2 KernelSize) : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Conv2d;
    /// <summary>stride, default 1.</summary>
    public Size2 Stride { get; init; } = 1;
    /// <summary>padding (zeros on each side), default 0.</summary>
    public Size2 Padding { get; init; } = 0;
    /// <summary>dilation, default 1.</summary>
    public Size2 Dilation { get; init; } = 1;
    /// <summary>groups, default 1.</summary>
    public int Groups { get; init; } = 1;
    /// <summary>bias, default true.</summary>
    public bool Bias { get; init; } = true;
}
