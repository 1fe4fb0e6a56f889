namespace Nabla.Kernels;

/// <summary>A 2-D sliding window — kernel, stride, zero padding and dilation on each axis — as im2col, col2im and
/// pooling take it (a convolution's is <see cref="Conv.ConvGeometry.Window"/>).</summary>
/// <param name="Kh">Window height (≥ 1).</param>
/// <param name="Kw">Window width (≥ 1).</param>
/// <param name="Sh">Vertical stride (≥ 1).</param>
/// <param name="Sw">Horizontal stride (≥ 1).</param>
/// <param name="Ph">Zero padding top and bottom (≥ 0).</param>
/// <param name="Pw">Zero padding left and right (≥ 0).</param>
/// <param name="Dh">Vertical dilation (≥ 1).</param>
/// <param name="Dw">Horizontal dilation (≥ 1).</param>
public readonly record struct Window2d(int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw)
{
    /// <summary>Output height for an input of height <paramref name="h"/>: ⌊(h + 2·Ph − Dh·(Kh − 1) − 1) / Sh⌋ + 1.</summary>
    public int OutHeight(int h) => (h + 2 * Ph - Dh * (Kh - 1) - 1) / Sh + 1;

    /// <summary>Output width for an input of width <paramref name="w"/>, likewise.</summary>
    public int OutWidth(int w) => (w + 2 * Pw - Dw * (Kw - 1) - 1) / Sw + 1;
}
