namespace Nabla.Kernels.Conv;

/// <summary>The sizes of one 2-D convolution call (NCHW input, OIHW weight), checked once at the op boundary
/// (<c>F.Conv2d</c>); the algorithms of <see cref="ConvRegistry"/> take it instead of a list of positional integers.</summary>
/// <param name="N">Images.</param>
/// <param name="Cin">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="Cout">Output channels.</param>
/// <param name="G">Groups.</param>
/// <param name="Cpg">Input channels per group (C_in / G).</param>
/// <param name="Kh">Kernel height.</param>
/// <param name="Kw">Kernel width.</param>
/// <param name="Sh">Vertical stride.</param>
/// <param name="Sw">Horizontal stride.</param>
/// <param name="Ph">Vertical padding.</param>
/// <param name="Pw">Horizontal padding.</param>
/// <param name="Dh">Vertical dilation.</param>
/// <param name="Dw">Horizontal dilation.</param>
/// <param name="Oh">Output height, ⌊(H + 2·Ph − Dh·(Kh − 1) − 1) / Sh⌋ + 1.</param>
/// <param name="Ow">Output width, likewise.</param>
public readonly record struct ConvGeometry(int N, int Cin, int H, int W, int Cout, int G, int Cpg, int Kh, int Kw,
    int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, int Oh, int Ow)
{
    /// <summary>Output positions per image and channel (OH·OW).</summary>
    public int P => Oh * Ow;
    /// <summary>Taps per output (C_in/G·kh·kw): the inner dimension of the lowered product.</summary>
    public int K => Cpg * Kh * Kw;
    /// <summary>Output channels per group.</summary>
    public int Cpo => Cout / G;
    /// <summary>Stride 1 and dilation 1 on both axes.</summary>
    public bool UnitStride => Sh == 1 && Sw == 1 && Dh == 1 && Dw == 1;
    /// <summary>Multiply-adds of the convolution as a direct sum: N·C_out·K·P (the unit of <see cref="ConvRegistry"/>'s costs).</summary>
    public double MultiplyAdds => (double)N * Cout * K * P;
    /// <summary>The sliding window: kernel, stride, padding and dilation.</summary>
    public Window2d Window => new(Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw);
    /// <summary>Floats of the weight, C_out·C_in/G·kh·kw.</summary>
    public int WeightLength => Cout * K;

    /// <summary>One line for listings: <c>N x Cin x HxW -> Cout kKhxKw sSh pPh dDh gG</c>.</summary>
    public override string ToString() =>
        $"{N}x{Cin}x{H}x{W} -> {Cout}x{Oh}x{Ow}, kernel {Kh}x{Kw}, stride {Sh}x{Sw}, padding {Ph}x{Pw}, dilation {Dh}x{Dw}, groups {G}";
}
