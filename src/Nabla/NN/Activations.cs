using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>A layer without parameters or settings that applies one function of its input (the activations below,
/// <see cref="Identity"/>).</summary>
/// <param name="f">The function, e.g. <see cref="F.Relu"/>.</param>
public abstract class Elementwise(Func<Tensor, Tensor> f) : Module
{
    /// <inheritdoc/>
    public sealed override Tensor Forward(Tensor x) => f(x);
}

/// <summary>A layer without parameters that applies one function of its input and one fixed setting (LeakyReLU's
/// slope, Softmax's dim, Flatten's first dim); the subclass names the setting.</summary>
/// <typeparam name="TSetting">The setting's type.</typeparam>
/// <param name="setting">The setting, passed to every call of <paramref name="f"/>.</param>
/// <param name="f">The function, e.g. <see cref="F.LeakyRelu"/>.</param>
public abstract class Functional<TSetting>(TSetting setting, Func<Tensor, TSetting, Tensor> f) : Module
{
    /// <summary>The setting passed to the function.</summary>
    protected TSetting Setting => setting;

    /// <inheritdoc/>
    public sealed override Tensor Forward(Tensor x) => f(x, setting);
}

/// <summary>max(x, 0), as <c>nn.ReLU</c>.</summary>
public sealed class ReLU() : Elementwise(F.Relu);

/// <summary>min(max(x, 0), 6), as <c>nn.ReLU6</c> (MobileNet's activation; ONNX's Clip(0, 6)).</summary>
public sealed class ReLU6() : Elementwise(F.Relu6);

/// <summary>x &gt; 0 ? x : slope·x, as <c>nn.LeakyReLU</c> (slope 0.01).</summary>
public sealed class LeakyReLU(float negativeSlope = 0.01f) : Functional<float>(negativeSlope, F.LeakyRelu)
{
    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope => Setting;
}

/// <summary>x &gt; 0 ? x : alpha·(eˣ − 1), as <c>nn.ELU</c> (alpha 1).</summary>
public sealed class ELU(float alpha = 1f) : Functional<float>(alpha, F.Elu)
{
    /// <summary>The negative saturation value's magnitude.</summary>
    public float Alpha => Setting;
}

/// <summary>x·Φ(x), as <c>nn.GELU()</c> (the exact, erf form).</summary>
public sealed class GELU() : Elementwise(F.Gelu);

/// <summary>x·scale + shift with constants (one value, or one per channel — dim 1), as a forward's <c>x * a + b</c> on
/// constant tensors; no parameters.</summary>
public sealed class Affine : Module
{
    /// <summary>The factor: one value or one per channel.</summary>
    public float[] Scale { get; }
    /// <summary>The term added: one value or one per channel.</summary>
    public float[] Shift { get; }

    /// <summary>Creates the layer (the arrays are copied).</summary>
    public Affine(float[] scale, float[] shift) { Scale = (float[])scale.Clone(); Shift = (float[])shift.Clone(); }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.ChannelAffine(x, Scale, Shift);
}

/// <summary>Pads H and W with a constant, as <c>nn.ConstantPad2d((left, right, top, bottom), value)</c>.</summary>
public sealed class Pad2d(int left, int right, int top, int bottom, float value = 0f) : Module
{
    /// <summary>Columns added on the left.</summary>
    public int Left { get; } = left;
    /// <summary>Columns added on the right.</summary>
    public int Right { get; } = right;
    /// <summary>Rows added on top.</summary>
    public int Top { get; } = top;
    /// <summary>Rows added at the bottom.</summary>
    public int Bottom { get; } = bottom;
    /// <summary>The padding value.</summary>
    public float Value { get; } = value;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.Pad2d(x, Left, Right, Top, Bottom, Value);
}

/// <summary>1/(1+e^−x), as <c>nn.Sigmoid</c>.</summary>
public sealed class Sigmoid() : Elementwise(F.Sigmoid);

/// <summary>tanh(x), as <c>nn.Tanh</c>.</summary>
public sealed class Tanh() : Elementwise(F.Tanh);

/// <summary>Softmax along a dimension (default 1, the channel/class dim), as <c>nn.Softmax(dim=1)</c>.</summary>
public sealed class Softmax(int dim = 1) : Functional<int>(dim, F.Softmax)
{
    /// <summary>The dimension normalised over.</summary>
    public int Dim => Setting;
}

/// <summary>Log-softmax along a dimension (default 1), as <c>nn.LogSoftmax(dim=1)</c>.</summary>
public sealed class LogSoftmax(int dim = 1) : Functional<int>(dim, F.LogSoftmax)
{
    /// <summary>The dimension normalised over.</summary>
    public int Dim => Setting;
}

/// <summary>Flattens dims from <c>startDim</c> (default 1) on, as <c>nn.Flatten</c>.</summary>
public sealed class Flatten(int startDim = 1) : Functional<int>(startDim, F.Flatten)
{
    /// <summary>First dimension flattened.</summary>
    public int StartDim => Setting;
}

/// <summary>Returns its input, as <c>nn.Identity</c>.</summary>
public sealed class Identity() : Elementwise(x => x);

/// <summary>Inverted dropout, as <c>nn.Dropout</c>: active only in training mode.</summary>
public sealed class Dropout : Module
{
    /// <summary>Probability of zeroing an element.</summary>
    public float P { get; }
    /// <summary>The generator for masks (shared with the model so checkpoints can save it).</summary>
    public Rng Rng { get; set; }

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p outside [0, 1].</exception>
    public Dropout(float p = 0.5f, Rng? rng = null)
    {
        if (p is < 0f or > 1f || float.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability has to be between 0 and 1, but got {p}");
        P = p; Rng = rng ?? Init.DefaultRng;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.Dropout(x, P, Training, Rng);
}
