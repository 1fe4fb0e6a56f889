using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>2-D max pooling, as <c>nn.MaxPool2d</c> (stride defaults to the kernel size).</summary>
public sealed class MaxPool2d((int h, int w) kernelSize, (int h, int w)? stride = null, (int h, int w) padding = default, bool ceilMode = false,
    (int h, int w)? dilation = null) : Module
{
    /// <summary>Spacing of the window's taps.</summary>
    public (int h, int w) Dilation { get; } = dilation ?? (1, 1);
    /// <summary>Window size.</summary>
    public (int h, int w) KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public (int h, int w) Stride { get; } = stride ?? kernelSize;
    /// <summary>Implicit −∞ padding.</summary>
    public (int h, int w) Padding { get; } = padding;
    /// <summary>Ceil instead of floor in the output size.</summary>
    public bool CeilMode { get; } = ceilMode;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.MaxPool2d(x, KernelSize, Stride, Padding, CeilMode, Dilation);
}

/// <summary>2-D average pooling, as <c>nn.AvgPool2d</c> (count_include_pad defaults to true).</summary>
public sealed class AvgPool2d((int h, int w) kernelSize, (int h, int w)? stride = null, (int h, int w) padding = default,
    bool countIncludePad = true, bool ceilMode = false) : Module
{
    /// <summary>Window size.</summary>
    public (int h, int w) KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public (int h, int w) Stride { get; } = stride ?? kernelSize;
    /// <summary>Implicit zero padding.</summary>
    public (int h, int w) Padding { get; } = padding;
    /// <summary>Whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;
    /// <summary>Ceil instead of floor in the output size.</summary>
    public bool CeilMode { get; } = ceilMode;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.AvgPool2d(x, KernelSize, Stride, Padding, CountIncludePad, CeilMode);
}

/// <summary>Adaptive average pooling to a fixed output size, as <c>nn.AdaptiveAvgPool2d</c>; (1, 1) is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d((int h, int w) outputSize) : Module
{
    /// <summary>Output (h, w).</summary>
    public (int h, int w) OutputSize { get; } = outputSize;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.AdaptiveAvgPool2d(x, OutputSize);
}
