namespace Nabla.IO.Spec;

/// <summary>Builds one leaf layer from its keyword and <c>key=value</c> arguments, checking every value.</summary>
internal static class LayerReader
{
    public static LayerSpec Read(LayerKind kind, LayerArgs a, int line)
    {
        LayerSpec layer = kind switch
        {
            LayerKind.Conv2d => Conv(a),
            LayerKind.Linear => Linear(a),
            LayerKind.BatchNorm1d => BatchNorm(a, new BatchNorm1dSpec()),
            LayerKind.BatchNorm2d => BatchNorm(a, new BatchNorm2dSpec()),
            LayerKind.ReLU or LayerKind.ReLU6 or LayerKind.Sigmoid or LayerKind.Tanh or LayerKind.Gelu => NoKeys(a, new ActivationSpec(kind)),
            LayerKind.LeakyReLU => LeakyReLU(a),
            LayerKind.Elu => Elu(a),
            LayerKind.Affine => Affine(a),
            LayerKind.Pad => Pad(a),
            LayerKind.Softmax or LayerKind.LogSoftmax => Softmax(a, kind),
            LayerKind.MaxPool2d or LayerKind.AvgPool2d => Pool(a, kind),
            LayerKind.AdaptiveAvgPool2d => Adaptive(a),
            LayerKind.Dropout => Dropout(a),
            LayerKind.Flatten => NoKeys(a, new FlattenSpec()),
            _ => throw new InvalidOperationException($"{kind} is a block, not a leaf layer"),
        };
        return layer with { Line = line };
    }

    private static LayerSpec NoKeys(LayerArgs a, LayerSpec layer)
    {
        a.Allow();
        return layer;
    }

    private static Conv2dSpec Conv(LayerArgs a)
    {
        a.Allow("out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias");
        var conv = new Conv2dSpec(a.RequiredInt("out_channels", 1), a.RequiredSize("kernel_size", 1))
        {
            Stride = a.Size("stride", 1, 1),
            Padding = a.Size("padding", 0, 0),
            Dilation = a.Size("dilation", 1, 1),
            Groups = a.Int("groups", 1, 1),
            Bias = a.Bool("bias", true),
        };
        if (conv.OutChannels % conv.Groups != 0)
            throw a.Error(a.ColumnOf("groups"), $"expected out_channels divisible by groups, found out_channels={conv.OutChannels} groups={conv.Groups}");
        return conv;
    }

    private static LinearSpec Linear(LayerArgs a)
    {
        a.Allow("out_features", "bias");
        return new LinearSpec(a.RequiredInt("out_features", 1)) { Bias = a.Bool("bias", true) };
    }

    private static BatchNormSpec BatchNorm(LayerArgs a, BatchNormSpec bn)
    {
        a.Allow("eps", "momentum", "affine");
        return bn with
        {
            Eps = a.Double("eps", 1e-5, 0, double.PositiveInfinity, minExclusive: true),
            Momentum = a.Double("momentum", 0.1, 0, 1),
            Affine = a.Bool("affine", true),
        };
    }

    private static LeakyReLUSpec LeakyReLU(LayerArgs a)
    {
        a.Allow("negative_slope");
        return new LeakyReLUSpec { NegativeSlope = a.Double("negative_slope", 0.01, double.MinValue, double.MaxValue) };
    }

    private static Pad2dSpec Pad(LayerArgs a)
    {
        a.Allow("padding", "value");
        var p = a.Ints4("padding", [0, 0, 0, 0]);
        return new Pad2dSpec { Left = p[0], Right = p[1], Top = p[2], Bottom = p[3], Value = a.DoubleOrInfinity("value", 0) };
    }

    private static AffineSpec Affine(LayerArgs a)
    {
        a.Allow("scale", "shift");
        return new AffineSpec(a.Doubles("scale", [1.0]), a.Doubles("shift", [0.0]));
    }

    private static EluSpec Elu(LayerArgs a)
    {
        a.Allow("alpha");
        return new EluSpec { Alpha = a.Double("alpha", 1.0, double.MinValue, double.MaxValue) };
    }

    private static SoftmaxSpec Softmax(LayerArgs a, LayerKind kind)
    {
        a.Allow("dim");
        return new SoftmaxSpec(kind) { Dim = a.Int("dim", 1) };
    }

    // maxpool2d and avgpool2d: kernel_size (required), stride (default kernel_size), padding (default 0), then
    // maxpool2d's dilation, ceil_mode, avgpool2d's count_include_pad, read in that order; padding is checked
    // against the effective (dilated) kernel.
    private static Pool2dSpec Pool(LayerArgs a, LayerKind kind)
    {
        bool max = kind == LayerKind.MaxPool2d;
        a.Allow(max ? ["kernel_size", "stride", "padding", "dilation", "ceil_mode"] : ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]);
        var k = a.RequiredSize("kernel_size", 1);
        var stride = a.Size("stride", k, 1);
        var padding = a.Size("padding", 0, 0);
        Size2 dilation = max ? a.Size("dilation", 1, 1) : 1;
        bool ceilMode = a.Bool("ceil_mode", false);
        Pool2dSpec pool = max
            ? new MaxPool2dSpec(k) { Dilation = dilation }
            : new AvgPool2dSpec(k) { CountIncludePad = a.Bool("count_include_pad", true) };
        CheckPadding(a, padding, (k.H - 1) * dilation.H + 1, (k.W - 1) * dilation.W + 1);
        return pool with { Stride = stride, Padding = padding, CeilMode = ceilMode };
    }

    // PyTorch refuses pooling padding above half the (effective) kernel: such windows could lie wholly in padding.
    private static void CheckPadding(LayerArgs a, Size2 padding, int kh, int kw)
    {
        if (padding.H > kh / 2 || padding.W > kw / 2)
            throw a.Error(a.ColumnOf("padding"), $"expected padding at most half the kernel ({new Size2(kh / 2, kw / 2)}), found {padding}");
    }

    private static AdaptiveAvgPool2dSpec Adaptive(LayerArgs a)
    {
        a.Allow("output_size");
        return new AdaptiveAvgPool2dSpec(a.RequiredSize("output_size", 1));
    }

    private static DropoutSpec Dropout(LayerArgs a)
    {
        a.Allow("p");
        return new DropoutSpec { P = a.Double("p", 0.5, 0, 1) };
    }
}
