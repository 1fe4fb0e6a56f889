namespace Nabla.IO.Spec;

/// <summary>
/// <c>adaptiveavgpool2d</c>: PyTorch's <c>nn.AdaptiveAvgPool2d</c>. Output cell (i, j) averages input rows
/// floor(i*H/oh) .. ceil((i+1)*H/oh)-1 and the same for columns; <c>output_size=1</c> is global average pooling.
/// </summary>
/// <param name="OutputSize">output_size (required).</param>
public sealed record AdaptiveAvgPool2dSpec(Size2 OutputSize) : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.AdaptiveAvgPool2d;
}
