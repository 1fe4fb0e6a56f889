using Nabla.Autograd;
using Nabla.Tensors;

namespace Nabla.Ops;

/// <summary>
/// The differentiable operations (like <c>torch.nn.functional</c>). One partial file per op family;
/// each op's forward and backward sit side by side, and every backward accumulates into input gradients.
/// </summary>
public static partial class F
{
    /// <summary>Sums <paramref name="grad"/> (of a broadcast output's shape) down to <paramref name="shape"/>
    /// and accumulates it into <paramref name="dst"/>.</summary>
    internal static void AccumulateReduced(Tensor dst, Tensor grad, int[] shape)
    {
        if (ShapeUtil.Equal(grad.Shape, shape)) { Kernels.Elementwise.AddInPlace(dst.Span, grad.Span); return; }
        var strides = Kernels.Elementwise.BroadcastStrides(shape, grad.Shape);
        var zero = new int[grad.Rank];
        float[] g = grad.Data, d = dst.Data;
        Kernels.Elementwise.ForEachBroadcast(grad.Shape, strides, zero, (o, a, _) => d[a] += g[o]);
    }

    internal static Tensor NewLike(Tensor t) => new(t.Shape);

    internal static void CheckSameShape(Tensor a, Tensor b, string what)
    {
        if (!ShapeUtil.Equal(a.Shape, b.Shape))
            throw new ArgumentException($"{what}: shapes must match, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
    }
}
