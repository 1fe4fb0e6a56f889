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

    /// <summary>Effectively <c>out = 1 / (1 + e^-a)</c>; σ' = σ(1 − σ).</summary>
    public static Tensor Sigmoid(Tensor a) =>
        Unary(a, "sigmoid", (x, o) => TensorPrimitives.Sigmoid(x, o),
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * y[i] * (1f - y[i]); });

    /// <summary>Effectively <c>out = tanh(a)</c>; tanh' = 1 − tanh².</summary>
    public static Tensor Tanh(Tensor a) =>
        Unary(a, "tanh", (x, o) => TensorPrimitives.Tanh(x, o),
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * (1f - y[i] * y[i]); });
}
