using Nabla.Autograd;
using Nabla.Kernels;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>A view with a new shape (storage shared). One dimension may be -1 (inferred).</summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one -1.</exception>
    public static Tensor Reshape(Tensor a, params int[] shape)
    {
        shape = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: only one dimension can be -1, got {ShapeUtil.Format(shape)}");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"Reshape: invalid size {shape[i]} in {ShapeUtil.Format(shape)}");
            else known *= shape[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || a.Numel % known != 0)
                throw new ArgumentException($"Reshape: shape {ShapeUtil.Format(shape)} is invalid for input of size {a.Numel}");
            shape[infer] = a.Numel / known;
        }
        if (ShapeUtil.Numel(shape) != a.Numel)
            throw new ArgumentException($"Reshape: shape {ShapeUtil.Format(shape)} is invalid for input of size {a.Numel} (shape {ShapeUtil.Format(a.Shape)})");
        var o = new Tensor(a.Data, shape) { DType = a.DType };
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "reshape", [a], g =>
        {
            // A non-leaf input with no gradient yet takes the incoming gradient's storage, seen in its own shape,
            // instead of a cleared buffer and an add. Non-leaf gradients live only inside the backward: o's is
            // dropped after this node, so a's other consumers adding into a's gradient later touch nothing still in
            // use (when o is the root, whose gradient is kept, a has no other consumer in the graph), and no
            // backward writes into its incoming gradient.
            if (a.Grad is null && !a.IsLeaf) a.Grad = new Tensor(g.Data, a.Shape);
            else Elementwise.AddInPlace(Graph.GradOf(a).Span, g.Span);
        });
    }

    /// <summary>Flattens dimensions <paramref name="startDim"/>..end into one (a view), as nn.Flatten.</summary>
    public static Tensor Flatten(Tensor a, int startDim = 1)
    {
        startDim = ShapeUtil.NormDim(startDim, a.Rank);
        var shape = a.Shape.Take(startDim).Append(a.Shape.Skip(startDim).Aggregate(1, (x, y) => x * y)).ToArray();
        return Reshape(a, shape);
    }

    /// <summary>Reorders dimensions (copies): output dim i is input dim perm[i].</summary>
    /// <exception cref="ArgumentException">perm is not a permutation of 0..rank-1.</exception>
    public static Tensor Permute(Tensor a, params int[] perm)
    {
        if (perm.Length != a.Rank || perm.Select(p => ShapeUtil.NormDim(p, a.Rank)).Distinct().Count() != a.Rank)
            throw new ArgumentException($"Permute: {ShapeUtil.Format(perm)} is not a permutation of the {a.Rank} dims of {ShapeUtil.Format(a.Shape)}");
        perm = perm.Select(p => ShapeUtil.NormDim(p, a.Rank)).ToArray();
        var inStrides = ShapeUtil.Strides(a.Shape);
        var outShape = perm.Select(p => a.Shape[p]).ToArray();
        var srcStrides = perm.Select(p => inStrides[p]).ToArray();
        var o = new Tensor(outShape);
        var zero = new int[outShape.Length];
        float[] ad = a.Data, od = o.Data;
        Elementwise.ForEachBroadcast(outShape, srcStrides, zero, (oi, ai, _) => od[oi] = ad[ai]);
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "permute", [a], g =>
        {
            float[] da = Graph.GradOf(a).Data, gd = g.Data;
            Elementwise.ForEachBroadcast(outShape, srcStrides, zero, (oi, ai, _) => da[ai] += gd[oi]);
        });
    }

    /// <summary>Pads H and W of (N, C, H, W) with a constant, as <c>F.pad(a, (left, right, top, bottom), value=value)</c>;
    /// the gradient is the output gradient's interior.</summary>
    /// <exception cref="ArgumentException">Not rank 4, or a negative padding.</exception>
    public static Tensor Pad2d(Tensor a, int left, int right, int top, int bottom, float value = 0f)
    {
        if (a.Rank != 4) throw new ArgumentException($"Pad2d: expected input of shape (N, C, H, W), got {ShapeUtil.Format(a.Shape)}");
        if (left < 0 || right < 0 || top < 0 || bottom < 0) throw new ArgumentException($"Pad2d: padding must be non-negative, got {left},{right},{top},{bottom}");
        int planes = a.Shape[0] * a.Shape[1], h = a.Shape[2], w = a.Shape[3], oh = h + top + bottom, ow = w + left + right;
        var o = new Tensor([a.Shape[0], a.Shape[1], oh, ow]);
        if (value != 0) o.Span.Fill(value);
        float[] ad = a.Data, od = o.Data;
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < h; i++)
                Array.Copy(ad, (p * h + i) * w, od, (p * oh + i + top) * ow + left, w);
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "pad2d", [a], g =>
        {
            float[] da = Graph.GradOf(a).Data, gd = g.Data;
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < h; i++)
                {
                    int src = (p * oh + i + top) * ow + left, dst = (p * h + i) * w;
                    for (int j = 0; j < w; j++) da[dst + j] += gd[src + j];
                }
        });
    }

    /// <summary>Swaps two dimensions (copies).</summary>
    public static Tensor Transpose(Tensor a, int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, a.Rank).ToArray();
        dim0 = ShapeUtil.NormDim(dim0, a.Rank); dim1 = ShapeUtil.NormDim(dim1, a.Rank);
        (perm[dim0], perm[dim1]) = (perm[dim1], perm[dim0]);
        return Permute(a, perm);
    }

    /// <summary>Concatenates along <paramref name="dim"/>; all other sizes must match.</summary>
    /// <exception cref="ArgumentException">No tensors, ranks differ, or sizes differ off <paramref name="dim"/>.</exception>
    public static Tensor Cat(IReadOnlyList<Tensor> ts, int dim)
    {
        if (ts.Count == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors");
        var first = ts[0];
        dim = ShapeUtil.NormDim(dim, first.Rank);
        int total = 0;
        foreach (var t in ts)
        {
            if (t.Rank != first.Rank)
                throw new ArgumentException($"Cat: tensors must have the same rank, got {ShapeUtil.Format(first.Shape)} and {ShapeUtil.Format(t.Shape)}");
            for (int d = 0; d < t.Rank; d++)
                if (d != dim && t.Shape[d] != first.Shape[d])
                    throw new ArgumentException($"Cat: sizes must match except in dim {dim}: got {ShapeUtil.Format(first.Shape)} and {ShapeUtil.Format(t.Shape)} (dim {d}: {first.Shape[d]} vs {t.Shape[d]})");
            total += t.Shape[dim];
        }
        var shape = (int[])first.Shape.Clone();
        shape[dim] = total;
        var o = new Tensor(shape);
        var (outer, _, inner) = Split(shape, dim);
        int offset = 0;
        foreach (var t in ts)
        {
            int chunk = t.Shape[dim] * inner;
            for (int p = 0; p < outer; p++)
                t.Data.AsSpan(p * chunk, chunk).CopyTo(o.Data.AsSpan(p * total * inner + offset * inner));
            offset += t.Shape[dim];
        }
        if (!Graph.ShouldRecord(ts.ToArray())) return o;
        var inputs = ts.ToArray();
        return Graph.Record(o, "cat", inputs, g =>
        {
            int off = 0;
            foreach (var t in inputs)
            {
                int chunk = t.Shape[dim] * inner;
                if (t.RequiresGrad)
                {
                    var dt = Graph.GradOf(t).Data;
                    for (int p = 0; p < outer; p++)
                        Elementwise.AddInPlace(dt.AsSpan(p * chunk, chunk), g.Data.AsSpan(p * total * inner + off * inner, chunk));
                }
                off += t.Shape[dim];
            }
        });
    }

    /// <summary>Stacks equal-shaped tensors along a new dimension <paramref name="dim"/>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> ts, int dim = 0)
    {
        if (ts.Count == 0) throw new ArgumentException("Stack: expected a non-empty list of tensors");
        foreach (var t in ts) CheckSameShape(ts[0], t, "Stack");
        int rank = ts[0].Rank + 1;
        int d = dim < 0 ? dim + rank : dim;
        var expanded = ts.Select(t => { var s = t.Shape.ToList(); s.Insert(d, 1); return Reshape(t, s.ToArray()); }).ToList();
        return Cat(expanded, d);
    }

    /// <summary>Elements <paramref name="start"/> ≤ i &lt; <paramref name="end"/> along <paramref name="dim"/> (copies).</summary>
    public static Tensor Slice(Tensor a, int dim, int start, int end)
    {
        dim = ShapeUtil.NormDim(dim, a.Rank);
        int size = a.Shape[dim];
        if (start < 0) start += size;
        if (end < 0) end += size;
        start = Math.Clamp(start, 0, size); end = Math.Clamp(end, start, size);
        var (outer, _, inner) = Split(a.Shape, dim);
        var shape = (int[])a.Shape.Clone();
        shape[dim] = end - start;
        var o = new Tensor(shape);
        int chunk = (end - start) * inner;
        for (int p = 0; p < outer; p++)
            a.Data.AsSpan((p * size + start) * inner, chunk).CopyTo(o.Data.AsSpan(p * chunk));
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, "slice", [a], g =>
        {
            var da = Graph.GradOf(a).Data;
            for (int p = 0; p < outer; p++)
                Elementwise.AddInPlace(da.AsSpan((p * size + start) * inner, chunk), g.Data.AsSpan(p * chunk, chunk));
        });
    }
}
