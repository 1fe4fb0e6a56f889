using Nabla.Autograd;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>softmax(x)_i = exp(x_i − max) / Σ_j exp(x_j − max) along <paramref name="dim"/>.</summary>
    /// <remarks>Backward: dx = y ⊙ (g − Σ g⊙y).</remarks>
    public static Tensor Softmax(Tensor a, int dim = -1) => SoftmaxOp(a, dim, log: false);

    /// <summary>log softmax(x) = x − logsumexp(x) along <paramref name="dim"/>.</summary>
    /// <remarks>Backward: dx = g − softmax(x) Σ g.</remarks>
    public static Tensor LogSoftmax(Tensor a, int dim = -1) => SoftmaxOp(a, dim, log: true);

    /// <summary>Softmax or log-softmax (<paramref name="log"/>) along <paramref name="dim"/>, with its backward.</summary>
    private static Tensor SoftmaxOp(Tensor a, int dim, bool log)
    {
        dim = ShapeUtil.NormDim(dim, a.Rank);
        var (outer, size, inner) = Split(a.Shape, dim);
        var o = NewLike(a);
        SoftmaxKernel(a.Data, o.Data, outer, size, inner, log);
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, log ? "log_softmax" : "softmax", [a], g =>
        {
            float[] y = o.Data, gd = g.Data, da = Graph.GradOf(a).Data;
            for (int p = 0; p < outer; p++)
                for (int q = 0; q < inner; q++)
                {
                    int b = p * size * inner + q;
                    if (log)
                    {
                        float sum = 0;
                        for (int r = 0; r < size; r++) sum += gd[b + r * inner];
                        for (int r = 0; r < size; r++) da[b + r * inner] += gd[b + r * inner] - MathF.Exp(y[b + r * inner]) * sum;
                    }
                    else
                    {
                        float dot = 0;
                        for (int r = 0; r < size; r++) dot += gd[b + r * inner] * y[b + r * inner];
                        for (int r = 0; r < size; r++) da[b + r * inner] += y[b + r * inner] * (gd[b + r * inner] - dot);
                    }
                }
        });
    }

    /// <summary>log Σ_i exp(x_i) along <paramref name="dim"/>, computed stably as m + log Σ exp(x_i − m).</summary>
    /// <remarks>Its gradient is the softmax: d/dx_i = exp(x_i − lse).</remarks>
    public static Tensor LogSumExp(Tensor a, int dim = -1, bool keepDim = false)
    {
        dim = ShapeUtil.NormDim(dim, a.Rank);
        var (outer, size, inner) = Split(a.Shape, dim);
        var o = new Tensor(ReducedShape(a.Shape, dim, keepDim));
        float[] ad = a.Data, od = o.Data;
        var maxes = new float[outer * inner];
        var logSums = new float[outer * inner];
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int b = p * size * inner + q;
                var (m, ls) = LseParts(ad, b, size, inner);
                maxes[p * inner + q] = m; logSums[p * inner + q] = ls;
                od[p * inner + q] = m + ls;
            }
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "logsumexp", [a], g =>
        {
            float[] da = Graph.GradOf(a).Data, gd = g.Data;
            for (int p = 0; p < outer; p++)
                for (int q = 0; q < inner; q++)
                {
                    int b = p * size * inner + q;
                    float m = maxes[p * inner + q], ls = logSums[p * inner + q], go = gd[p * inner + q];
                    for (int r = 0; r < size; r++) da[b + r * inner] += go * MathF.Exp(ad[b + r * inner] - m - ls);
                }
        });
    }

    /// <summary>(m, log Σ exp(x − m)) with m the maximum. Callers form x − m − logSum rather than x − (m + logSum):
    /// m + logSum rounds to the float32 grid at the logits' magnitude (ulp 1e-3 at 1e4), which would swamp the
    /// softmax of logits sharing a large offset; x − m is exact near the maximum.</summary>
    private static (float m, float logSum) LseParts(float[] x, int b, int size, int inner)
    {
        float m = float.NegativeInfinity;
        for (int r = 0; r < size; r++) m = Math.Max(m, x[b + r * inner]);
        if (float.IsNegativeInfinity(m) || float.IsNaN(m) || float.IsPositiveInfinity(m)) return (m, 0f);
        double s = 0;
        for (int r = 0; r < size; r++) s += MathF.Exp(x[b + r * inner] - m);
        return (m, (float)Math.Log(s));
    }

    private static void SoftmaxKernel(float[] x, float[] y, int outer, int size, int inner, bool log)
    {
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int b = p * size * inner + q;
                var (m, ls) = LseParts(x, b, size, inner);
                for (int r = 0; r < size; r++)
                {
                    float v = x[b + r * inner] - m - ls;
                    y[b + r * inner] = log ? v : MathF.Exp(v);
                }
            }
    }
}
