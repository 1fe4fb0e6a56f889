using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>2-D convolution, as <c>nn.Conv2d</c>. Weight (out, in/groups, kh, kw), bias (out).</summary>
/// <remarks>Output size per axis: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1.</remarks>
public sealed class Conv2d : Module
{
    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel size (h, w).</summary>
    public (int h, int w) KernelSize { get; }
    /// <summary>Stride, padding, dilation, groups (and the convolution algorithm, when one is asked for).</summary>
    public Conv2dOptions Options { get; internal set; }
    /// <summary>Weight (out, in/groups, kh, kw).</summary>
    public Tensor Weight { get; }
    /// <summary>Bias (out) or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes, negative padding, or channels not divisible by groups.</exception>
    public Conv2d(int inChannels, int outChannels, (int h, int w) kernelSize, (int h, int w)? stride = null, (int h, int w)? padding = null,
        (int h, int w)? dilation = null, int groups = 1, bool bias = true, Rng? rng = null)
    {
        var s = stride ?? (1, 1); var p = padding ?? (0, 0); var d = dilation ?? (1, 1);
        if (inChannels <= 0) throw new ArgumentException($"in_channels must be positive, got {inChannels}", nameof(inChannels));
        if (outChannels <= 0) throw new ArgumentException($"out_channels must be positive, got {outChannels}", nameof(outChannels));
        if (groups <= 0) throw new ArgumentException($"groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0) throw new ArgumentException($"in_channels must be divisible by groups (in_channels={inChannels}, groups={groups})", nameof(inChannels));
        if (outChannels % groups != 0) throw new ArgumentException($"out_channels must be divisible by groups (out_channels={outChannels}, groups={groups})", nameof(outChannels));
        if (kernelSize.h <= 0 || kernelSize.w <= 0) throw new ArgumentException($"kernel_size must be positive, got {kernelSize.h}x{kernelSize.w}", nameof(kernelSize));
        if (s.h <= 0 || s.w <= 0) throw new ArgumentException($"stride must be positive, got {s.h}x{s.w}", nameof(stride));
        if (p.h < 0 || p.w < 0) throw new ArgumentException($"padding must be non-negative, got {p.h}x{p.w}", nameof(padding));
        if (d.h <= 0 || d.w <= 0) throw new ArgumentException($"dilation must be positive, got {d.h}x{d.w}", nameof(dilation));
        rng ??= Init.DefaultRng;
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize;
        Options = new Conv2dOptions(s, p, d, groups);
        int fanIn = inChannels / groups * kernelSize.h * kernelSize.w;
        Weight = RegisterParameter("weight", new Tensor(outChannels, inChannels / groups, kernelSize.h, kernelSize.w));
        Init.KaimingUniformDefault(Weight, fanIn, rng);
        if (bias)
        {
            Bias = RegisterParameter("bias", new Tensor(outChannels));
            Init.BiasDefault(Bias, fanIn, rng);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.Conv2d(x, Weight, Bias, Options);
}
