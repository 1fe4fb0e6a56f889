namespace Nabla.IO.Spec;

/// <summary>The arguments shared by <c>maxpool2d</c> and <c>avgpool2d</c>.</summary>
/// <param name="KernelSize">kernel_size (required).</param>
public abstract record Pool2dSpec(Size2 KernelSize) : LayerSpec
{
    /// <summary>stride, default kernel_size.</summary>
    public Size2 Stride { get; init; } = KernelSize;
    /// <summary>padding, default 0 (at most half the kernel, as PyTorch requires).</summary>
    public Size2 Padding { get; init; } = 0;
    /// <summary>ceil_mode, default false.</summary>
    public bool CeilMode { get; init; }
}
