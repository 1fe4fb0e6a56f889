namespace Nabla.IO.Spec;

/// <summary>
/// <c>pad padding=L,R,T,B value=V</c>: PyTorch's <c>nn.ConstantPad2d((left, right, top, bottom), value)</c> (value 0:
/// <c>nn.ZeroPad2d</c>), on images. One number pads all four sides. <c>value=-inf</c> is what a max pool's padding
/// means; ONNX's asymmetric Conv/MaxPool/AveragePool pads and Pad nodes import as it.
/// </summary>
public sealed record Pad2dSpec : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Pad;
    /// <summary>Columns added on the left.</summary>
    public int Left { get; init; }
    /// <summary>Columns added on the right.</summary>
    public int Right { get; init; }
    /// <summary>Rows added on top.</summary>
    public int Top { get; init; }
    /// <summary>Rows added at the bottom.</summary>
    public int Bottom { get; init; }
    /// <summary>The value written into the padding (0, or −∞ for a max pool's).</summary>
    public double Value { get; init; }
}
