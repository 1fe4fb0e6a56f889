using Nabla.Autograd;
using Nabla.Kernels;
using Nabla.Kernels.Conv;
using Nabla.Tensors;

namespace Nabla.Ops;

/// <summary>Stride, padding and dilation of a 2-D convolution, per axis.</summary>
public readonly record struct Conv2dOptions((int h, int w) Stride, (int h, int w) Padding, (int h, int w) Dilation, int Groups)
{
    /// <summary>Stride 1, no padding, dilation 1, one group (PyTorch's defaults).</summary>
    public static Conv2dOptions Default => new((1, 1), (0, 0), (1, 1), 1);

    /// <summary>The convolution algorithm to run on, by name (<see cref="ConvRegistry.Names"/>), when it supports the
    /// call; null (the default) runs on the cheapest one that does (<see cref="ConvRegistry"/>).</summary>
    public string? Algorithm { get; init; }
}

public static partial class F
{
    /// <summary>The training step's arena, as the scratch of the convolution algorithms.</summary>
    private sealed class StepScratch : IConvScratch
    {
        public static readonly StepScratch Instance = new();
        public float[] Floats(int length, bool clear) => StepScope.RentFloats(length, clear);
        public double[] Doubles(int length, bool clear) => StepScope.RentDoubles(length, clear);
    }

    /// <summary>
    /// 2-D cross-correlation, as <c>torch.nn.functional.conv2d</c>:
    /// y[n, o, i, j] = b[o] + Σ_{c,a,b} w[o, c, a, b] · x[n, g·C_in/G + c, i·s − p + a·d, j·s − p + b·d].
    /// </summary>
    /// <param name="x">Input (N, C_in, H, W).</param>
    /// <param name="weight">Weight (C_out, C_in/groups, kh, kw).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="opt">Stride, padding, dilation, groups (and optionally the algorithm).</param>
    /// <remarks>Runs on the algorithm <see cref="ConvRegistry"/> picks for the call's geometry (im2col, Winograd, direct).</remarks>
    /// <exception cref="ArgumentException">Shapes or options that PyTorch would reject, with the same facts in the message.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt) => Conv2dCore(x, weight, bias, opt, relu: false);

    /// <summary><c>relu(conv2d(x, weight, bias))</c> in one op, as <see cref="Conv2d"/> followed by <see cref="Relu"/>
    /// (the same numbers): the ReLU is applied to each output block while it is in cache, and the backward masks the
    /// incoming gradient where the output is not positive instead of running a separate pass.</summary>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/>.</exception>
    public static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt) => Conv2dCore(x, weight, bias, opt, relu: true);

    /// <summary>The checked geometry of a convolution call: every check PyTorch makes, once, here.</summary>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/>.</exception>
    public static ConvGeometry Conv2dGeometry(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt)
    {
        var (n, cin, h, w) = Check4D(x, "Conv2d");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d: expected weight of shape (C_out, C_in/groups, kh, kw), got {ShapeUtil.Format(weight.Shape)}");
        int cout = weight.Shape[0], cpg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], g = opt.Groups;
        var (sh, sw) = opt.Stride; var (ph, pw) = opt.Padding; var (dh, dw) = opt.Dilation;
        if (g <= 0) throw new ArgumentException($"Conv2d: groups must be positive, got {g}");
        if (sh <= 0 || sw <= 0) throw new ArgumentException($"Conv2d: stride must be positive, got {sh}x{sw}");
        if (dh <= 0 || dw <= 0) throw new ArgumentException($"Conv2d: dilation must be positive, got {dh}x{dw}");
        if (ph < 0 || pw < 0) throw new ArgumentException($"Conv2d: padding must be non-negative, got {ph}x{pw}");
        if (cout % g != 0) throw new ArgumentException($"Conv2d: out_channels ({cout}) must be divisible by groups ({g})");
        if (cpg * g != cin)
            throw new ArgumentException($"Conv2d: given groups={g}, weight of size {ShapeUtil.Format(weight.Shape)}, expected input {ShapeUtil.Format(x.Shape)} to have {cpg * g} channels, but got {cin} channels instead");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"Conv2d: bias must have shape [{cout}], got {ShapeUtil.Format(bias.Shape)}");
        int oh = PoolOutSize(h, kh, sh, ph, dh), ow = PoolOutSize(w, kw, sw, pw, dw);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"Conv2d: calculated padded input size per channel: ({h + 2 * ph} x {w + 2 * pw}); kernel size (dilated): ({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}); kernel size can't be greater than actual input size");

        return new ConvGeometry(n, cin, h, w, cout, g, cpg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
    }

    private static Tensor Conv2dCore(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt, bool relu)
    {
        var geo = Conv2dGeometry(x, weight, bias, opt);
        var algo = ConvRegistry.Pick(geo, opt.Algorithm);
        var y = StepScope.RentTensor([geo.N, geo.Cout, geo.Oh, geo.Ow], clear: false);
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        bool record = Graph.ShouldRecord(inputs);
        var state = algo.Forward(geo, x.Data, weight.Data, bias?.Data, y.Data, relu, record && weight.RequiresGrad, StepScratch.Instance);
        if (!record) return y;
        return Graph.Record(y, relu ? "conv2d_relu" : "conv2d", inputs, gOut => ConvBackward(algo, geo, x, weight, bias, gOut.Data, relu ? y.Data : null, state));
    }

    /// <summary>The wanted gradients of a convolution, by the algorithm its forward ran on (with its state).</summary>
    private static void ConvBackward(ConvAlgorithm algo, in ConvGeometry geo, Tensor x, Tensor weight, Tensor? bias, float[] gd, float[]? yRelu, float[]? state)
    {
        bool overwriteDx = false;
        float[]? dx = null;
        if (x.RequiresGrad)
        {
            if (algo.WritesNewInputGrad) { dx = Graph.GradToWrite(x, out bool accumulate).Data; overwriteDx = !accumulate; }
            else dx = Graph.GradOf(x).Data;
        }
        var grads = new ConvGrads(dx, overwriteDx, weight.RequiresGrad ? Graph.GradOf(weight).Data : null,
            bias is { RequiresGrad: true } ? Graph.GradOf(bias).Data : null);
        algo.Backward(geo, x.Data, weight.Data, gd, yRelu, state, grads, StepScratch.Instance);
    }
}
