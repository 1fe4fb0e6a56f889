using Nabla.Ops;

namespace Nabla.Tensors;

public sealed partial class Tensor
{
    /// <summary>Broadcasting a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    /// <summary>Broadcasting a − b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    /// <summary>Broadcasting a ⊙ b.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    /// <summary>Broadcasting a ⊘ b.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => F.Neg(a);
    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, float s) => F.AddScalar(a, s);
    /// <summary>a − s.</summary>
    public static Tensor operator -(Tensor a, float s) => F.AddScalar(a, -s);
    /// <summary>a · s.</summary>
    public static Tensor operator *(Tensor a, float s) => F.MulScalar(a, s);
    /// <summary>s · a.</summary>
    public static Tensor operator *(float s, Tensor a) => F.MulScalar(a, s);
    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, float s) => F.MulScalar(a, 1f / s);

    /// <summary>Matrix product (see <see cref="F.MatMul"/>).</summary>
    public Tensor MatMul(Tensor b) => F.MatMul(this, b);
    /// <summary>A view with a new shape.</summary>
    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);
    /// <summary>Same as <see cref="Reshape"/>.</summary>
    public Tensor View(params int[] shape) => F.Reshape(this, shape);
    /// <summary>Flattens from <paramref name="startDim"/> on.</summary>
    public Tensor Flatten(int startDim = 0) => F.Flatten(this, startDim);
    /// <summary>Swaps two dims.</summary>
    public Tensor Transpose(int dim0, int dim1) => F.Transpose(this, dim0, dim1);
    /// <summary>Reorders dims.</summary>
    public Tensor Permute(params int[] perm) => F.Permute(this, perm);
    /// <summary>Sum of all elements.</summary>
    public Tensor Sum() => F.Sum(this);
    /// <summary>Sum over a dim.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => F.Sum(this, dim, keepDim);
    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => F.Mean(this);
    /// <summary>Mean over a dim.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => F.Mean(this, dim, keepDim);
    /// <summary>Max over a dim.</summary>
    public Tensor Max(int dim, bool keepDim = false) => F.Max(this, dim, keepDim);
    /// <summary>Argmax over a dim.</summary>
    public int[] ArgMax(int dim) => F.ArgMax(this, dim);
    /// <summary>exp.</summary>
    public Tensor Exp() => F.Exp(this);
    /// <summary>ln.</summary>
    public Tensor Log() => F.Log(this);
    /// <summary>√.</summary>
    public Tensor Sqrt() => F.Sqrt(this);
    /// <summary>|·|.</summary>
    public Tensor Abs() => F.Abs(this);
    /// <summary>Power.</summary>
    public Tensor Pow(float p) => F.Pow(this, p);
    /// <summary>ReLU.</summary>
    public Tensor Relu() => F.Relu(this);
    /// <summary>Sigmoid.</summary>
    public Tensor Sigmoid() => F.Sigmoid(this);
    /// <summary>tanh.</summary>
    public Tensor Tanh() => F.Tanh(this);
}
