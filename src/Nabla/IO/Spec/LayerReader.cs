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
            LayerKind.MaxPool2d => MaxPool(a),
            LayerKind.AvgPool2d => AvgPool(a),
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

    private static MaxPool2dSpec MaxPool(LayerArgs a)
    {
        a.Allow("kernel_size", "stride", "padding", "dilation", "ceil_mode");
        var (k, stride, padding) = PoolWindow(a);
        var pool = new MaxPool2dSpec(k)
        {
            Stride = stride,
            Padding = padding,
            Dilation = a.Size("dilation", 1, 1),
            CeilMode = a.Bool("ceil_mode", false),
        };
        CheckPadding(a, pool.Padding, (pool.KernelSize.H - 1) * pool.Dilation.H + 1, (pool.KernelSize.W - 1) * pool.Dilation.W + 1);
        return pool;
    }

    private static AvgPool2dSpec AvgPool(LayerArgs a)
    {
        a.Allow("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad");
        var (k, stride, padding) = PoolWindow(a);
        var pool = new AvgPool2dSpec(k)
        {
            Stride = stride,
            Padding = padding,
            CeilMode = a.Bool("ceil_mode", false),
            CountIncludePad = a.Bool("count_include_pad", true),
        };
        CheckPadding(a, pool.Padding, k.H, k.W);
        return pool;
    }

    // kernel_size (required), stride (default kernel_size) and padding (default 0) of maxpool2d and avgpool2d, read in that order.
    private static (Size2 Kernel, Size2 Stride, Size2 Padding) PoolWindow(LayerArgs a)
    {
        var k = a.RequiredSize("kernel_size", 1);
        return (k, a.Size("stride", k, 1), a.Size("padding", 0, 0));
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
