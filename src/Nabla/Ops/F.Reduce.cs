using Nabla.Autograd;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>Sum of all elements, a scalar (shape []).</summary>
    public static Tensor Sum(Tensor a)
    {
        double s = 0;
        foreach (float v in a.Span) s += v;
        var o = new Tensor([(float)s], []);
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "sum", [a], g => Kernels.Elementwise.AddInPlace(Graph.GradOf(a).Span, Fill(a.Numel, g.Data[0])));
    }

    /// <summary>Mean of all elements, a scalar.</summary>
    public static Tensor Mean(Tensor a) => MulScalar(Sum(a), 1f / Math.Max(a.Numel, 1));

    private static float[] Fill(int n, float v) { var r = new float[n]; Array.Fill(r, v); return r; }

    /// <summary>(outer, size, inner) for a reduction over <paramref name="dim"/>.</summary>
    private static (int outer, int size, int inner) Split(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }

    private static int[] ReducedShape(int[] shape, int dim, bool keepDim)
    {
        var l = shape.ToList();
        if (keepDim) l[dim] = 1; else l.RemoveAt(dim);
        return l.ToArray();
    }

    /// <summary>Sum over <paramref name="dim"/>, optionally keeping it with size 1.</summary>
    public static Tensor Sum(Tensor a, int dim, bool keepDim = false)
    {
        dim = ShapeUtil.NormDim(dim, a.Rank);
        var (outer, size, inner) = Split(a.Shape, dim);
        var o = new Tensor(ReducedShape(a.Shape, dim, keepDim));
        float[] ad = a.Data, od = o.Data;
        for (int p = 0; p < outer; p++)
            for (int r = 0; r < size; r++)
            {
                int src = (p * size + r) * inner, dst = p * inner;
                for (int q = 0; q < inner; q++) od[dst + q] += ad[src + q];
            }
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "sum_dim", [a], g =>
        {
            float[] gd = g.Data, da = Graph.GradOf(a).Data;
            for (int p = 0; p < outer; p++)
                for (int r = 0; r < size; r++)
                {
                    int dst = (p * size + r) * inner, src = p * inner;
                    for (int q = 0; q < inner; q++) da[dst + q] += gd[src + q];
                }
        });
    }

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public static Tensor Mean(Tensor a, int dim, bool keepDim = false) =>
        MulScalar(Sum(a, dim, keepDim), 1f / a.Size(dim));

    /// <summary>Maximum over <paramref name="dim"/>; the gradient goes to the first maximal element (as PyTorch's max(dim)).</summary>
    public static Tensor Max(Tensor a, int dim, bool keepDim = false)
    {
        var idx = ArgMaxRaw(a, dim, out var shape, out int outer, out int size, out int inner);
        var o = new Tensor(ReducedShape(a.Shape, shape, keepDim));
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
                o.Data[p * inner + q] = a.Data[(p * size + idx[p * inner + q]) * inner + q];
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "max_dim", [a], g =>
        {
            float[] da = Graph.GradOf(a).Data;
            for (int p = 0; p < outer; p++)
                for (int q = 0; q < inner; q++)
                    da[(p * size + idx[p * inner + q]) * inner + q] += g.Data[p * inner + q];
        });
    }

    /// <summary>Index of the maximum over <paramref name="dim"/> (first one on ties; NaN counts as maximal).</summary>
    public static int[] ArgMax(Tensor a, int dim) => ArgMaxRaw(a, dim, out _, out _, out _, out _);

    private static int[] ArgMaxRaw(Tensor a, int dim, out int normDim, out int outer, out int size, out int inner)
    {
        normDim = ShapeUtil.NormDim(dim, a.Rank);
        (outer, size, inner) = Split(a.Shape, normDim);
        if (size == 0) throw new ArgumentException($"cannot take the maximum over an empty dimension {dim} of shape {ShapeUtil.Format(a.Shape)}");
        var idx = new int[outer * inner];
        float[] ad = a.Data;
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int best = 0;
                float bv = ad[p * size * inner + q];
                for (int r = 1; r < size && !float.IsNaN(bv); r++)
                {
                    float v = ad[(p * size + r) * inner + q];
                    if (v > bv || float.IsNaN(v)) { bv = v; best = r; }
                }
                idx[p * inner + q] = best;
            }
        return idx;
    }
}
