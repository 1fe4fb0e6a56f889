using Nabla.Autograd;
using Nabla.Kernels;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>Matrix product: [m, k] x [k, n] → [m, n], or batched [B, m, k] x [B, k, n] → [B, m, n].</summary>
    /// <exception cref="ArgumentException">Ranks other than 2 or 3, or inner sizes that differ.</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank != b.Rank || a.Rank is not (2 or 3))
            throw new ArgumentException($"MatMul: expected two 2-D or two 3-D tensors, got shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        bool batched = a.Rank == 3;
        int batch = batched ? a.Shape[0] : 1;
        if (batched && b.Shape[0] != batch)
            throw new ArgumentException($"MatMul: batch sizes differ: {a.Shape[0]} vs {b.Shape[0]}");
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k)
            throw new ArgumentException($"MatMul: inner sizes differ: a is {ShapeUtil.Format(a.Shape)}, b is {ShapeUtil.Format(b.Shape)} (expected b.shape[-2] = {k}, got {b.Shape[^2]})");
        var o = StepScope.RentTensor(batched ? [batch, m, n] : [m, n], clear: false);
        for (int i = 0; i < batch; i++)
            Gemm.Sgemm(false, false, m, n, k, a.Data.AsSpan(i * m * k, m * k), k, b.Data.AsSpan(i * k * n, k * n), n, o.Data.AsSpan(i * m * n, m * n), n, 0f);
        if (!Graph.ShouldRecord(a, b)) return o;
        return Graph.Record(o, "matmul", [a, b], g =>
        {
            for (int i = 0; i < batch; i++)
            {
                var gi = g.Data.AsSpan(i * m * n, m * n);
                if (a.RequiresGrad) // dA += dC Bᵀ
                    Gemm.Sgemm(false, true, m, k, n, gi, n, b.Data.AsSpan(i * k * n, k * n), n, Graph.GradOf(a).Data.AsSpan(i * m * k, m * k), k, 1f);
                if (b.RequiresGrad) // dB += Aᵀ dC
                    Gemm.Sgemm(true, false, k, n, m, a.Data.AsSpan(i * m * k, m * k), k, gi, n, Graph.GradOf(b).Data.AsSpan(i * k * n, k * n), n, 1f);
            }
        });
    }

    /// <summary>Affine map <c>y = x Wᵀ + b</c> over the last dimension, as <c>torch.nn.functional.linear</c>.</summary>
    /// <param name="x">Input, shape (*, in).</param>
    /// <param name="weight">Weight, shape (out, in).</param>
    /// <param name="bias">Optional bias, shape (out).</param>
    /// <exception cref="ArgumentException">x's last dimension is not the weight's in-features.</exception>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => LinearCore(x, weight, bias, relu: false);

    /// <summary><c>relu(x Wᵀ + b)</c> in one op, as <see cref="Linear"/> followed by <see cref="Relu"/> (the same
    /// numbers): the ReLU is applied to each output row with the bias, and the backward masks the incoming gradient
    /// where the output is not positive instead of running a separate pass.</summary>
    /// <param name="x">Input, shape (*, in).</param>
    /// <param name="weight">Weight, shape (out, in).</param>
    /// <param name="bias">Optional bias, shape (out).</param>
    /// <exception cref="ArgumentException">x's last dimension is not the weight's in-features.</exception>
    public static Tensor LinearRelu(Tensor x, Tensor weight, Tensor? bias) => LinearCore(x, weight, bias, relu: true);

    private static Tensor LinearCore(Tensor x, Tensor weight, Tensor? bias, bool relu)
    {
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Rank < 1 || x.Shape[^1] != inF)
            throw new ArgumentException($"Linear: input has shape {ShapeUtil.Format(x.Shape)} but in_features is {inF} (expected last dimension {inF})");
        int rows = x.Numel / Math.Max(inF, 1);
        var shape = (int[])x.Shape.Clone();
        shape[^1] = outF;
        var y = StepScope.RentTensor(shape, clear: false);
        Gemm.Sgemm(false, true, rows, outF, inF, x.Span, inF, weight.Span, inF, y.Span, outF, 0f);
        if (bias is not null || relu)
        {
            var bd = bias is null ? default : bias.Span;
            for (int r = 0; r < rows; r++)
            {
                var row = y.Data.AsSpan(r * outF, outF);
                if (bias is not null) Elementwise.AddInPlace(row, bd);
                if (relu) System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row); // as Activation.Relu
            }
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        if (!Graph.ShouldRecord(inputs)) return y;
        return Graph.Record(y, relu ? "linear_relu" : "linear", inputs, gOut =>
        {
            var g = gOut;
            if (relu)
            {
                g = StepScope.RentTensor(gOut.Shape, clear: false);
                Activation.ReluMask(y.Span, gOut.Span, g.Span);
            }
            // A gradient with no contribution yet is written by the product (beta 0) instead of cleared and added to.
            if (x.RequiresGrad)
            {
                var dx = Graph.GradToWrite(x, out bool accumulate);
                Gemm.Sgemm(false, false, rows, inF, outF, g.Span, outF, weight.Span, inF, dx.Span, inF, accumulate ? 1f : 0f);
            }
            if (weight.RequiresGrad)
            {
                var dw = Graph.GradToWrite(weight, out bool accumulate);
                Gemm.Sgemm(true, false, outF, inF, rows, g.Span, outF, x.Span, inF, dw.Span, inF, accumulate ? 1f : 0f);
            }
            if (bias is { RequiresGrad: true })
            {
                var db = Graph.GradOf(bias).Span;
                for (int r = 0; r < rows; r++) Elementwise.AddInPlace(db, g.Data.AsSpan(r * outF, outF));
            }
        });
    }
}
