using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>Effectively <c>out = max(a, 0)</c>; the gradient passes where a &gt; 0.</summary>
    public static Tensor Relu(Tensor a) =>
        Unary(a, "relu", static (x, o) => Kernels.Activation.Relu(x, o), static (x, y, g, d) => Kernels.Activation.ReluBackward(x, g, d));

    /// <summary>Effectively <c>out = min(max(a, 0), 6)</c> (PyTorch's ReLU6, a hardtanh on [0, 6]); the gradient passes
    /// where 0 &lt; a &lt; 6, as PyTorch's (at the two kinks it is 0).</summary>
    public static Tensor Relu6(Tensor a) =>
        Unary(a, "relu6", static (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = x[i] > 0f ? (x[i] < 6f ? x[i] : 6f) : (float.IsNaN(x[i]) ? x[i] : 0f); },
            static (x, y, g, d) => { for (int i = 0; i < d.Length; i++) if (x[i] > 0f && x[i] < 6f) d[i] += g[i]; });

    /// <summary>Effectively <c>out = a &gt; 0 ? a : slope * a</c> (PyTorch's default slope 0.01).</summary>
    public static Tensor LeakyRelu(Tensor a, float negativeSlope = 0.01f) =>
        Unary(a, "leaky_relu", (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = x[i] > 0f ? x[i] : negativeSlope * x[i]; },
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += x[i] > 0f ? g[i] : negativeSlope * g[i]; });

    /// <summary>Effectively <c>out = a &gt; 0 ? a : alpha * (e^a − 1)</c> (PyTorch's ELU, alpha 1); the gradient is 1 for
    /// a &gt; 0 and alpha·e^a otherwise.</summary>
    public static Tensor Elu(Tensor a, float alpha = 1f) =>
        Unary(a, "elu", (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = x[i] > 0f ? x[i] : (float)(alpha * (Math.Exp(x[i]) - 1)); },
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += x[i] > 0f ? g[i] : (float)(g[i] * (alpha * Math.Exp(x[i]))); });

    /// <summary>Effectively <c>out = a · Φ(a) = a/2 · (1 + erf(a/√2))</c> (PyTorch's exact GELU, approximate='none');
    /// the gradient is Φ(a) + a·φ(a), φ the standard normal density. Computed in double per element.</summary>
    public static Tensor Gelu(Tensor a) =>
        Unary(a, "gelu", static (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = (float)GeluOf(x[i]); },
            static (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += (float)(g[i] * GeluSlope(x[i])); });

    /// <summary>Effectively <c>out = a · scale[c] + shift[c]</c> over dim 1 (c the channel or feature; a one-value array
    /// applies to all), with constant arrays; the gradient is <c>scale[c]</c>.</summary>
    /// <exception cref="ArgumentException">An array whose length is neither 1 nor the size of dim 1.</exception>
    public static Tensor ChannelAffine(Tensor a, float[] scale, float[] shift)
    {
        if (a.Rank < 2) throw new ArgumentException($"affine: expected input of rank 2 or more (N, C, ...), got {ShapeUtil.Format(a.Shape)}");
        int c = a.Shape[1], plane = a.Numel / Math.Max(1, a.Shape[0] * c);
        if (scale.Length != 1 && scale.Length != c || shift.Length != 1 && shift.Length != c)
            throw new ArgumentException($"affine: scale and shift need 1 or {c} values, got {scale.Length} and {shift.Length}");
        float S(int i) => scale[scale.Length == 1 ? 0 : i / plane % c];
        float B(int i) => shift[shift.Length == 1 ? 0 : i / plane % c];
        return Unary(a, "affine", (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = x[i] * S(i) + B(i); },
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * S(i); });
    }

    /// <summary>x·Φ(x) in double.</summary>
    internal static double GeluOf(double x) => 0.5 * x * (1 + Kernels.Erf.Of(x * Math.Sqrt(0.5)));

    /// <summary>d/dx x·Φ(x) = Φ(x) + x·φ(x), in double.</summary>
    internal static double GeluSlope(double x) => 0.5 * (1 + Kernels.Erf.Of(x * Math.Sqrt(0.5))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>Effectively <c>out = 1 / (1 + e^-a)</c>; σ' = σ(1 − σ).</summary>
    public static Tensor Sigmoid(Tensor a) =>
        Unary(a, "sigmoid", (x, o) => TensorPrimitives.Sigmoid(x, o),
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * y[i] * (1f - y[i]); });

    /// <summary>Effectively <c>out = tanh(a)</c>; tanh' = 1 − tanh².</summary>
    public static Tensor Tanh(Tensor a) =>
        Unary(a, "tanh", (x, o) => TensorPrimitives.Tanh(x, o),
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * (1f - y[i] * y[i]); });
}
