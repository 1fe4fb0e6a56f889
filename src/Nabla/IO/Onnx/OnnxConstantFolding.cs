using Nabla.IO.Onnx.Proto;
using Nabla.Tensors;

namespace Nabla.IO.Onnx;

/// <summary>
/// Evaluates the small integer computations exporters write on constants — torch.onnx.export's padding of
/// <c>F.pad</c>/<c>nn.ZeroPad2d</c>: Shape, Gather, Mul, Sub, Cast, ConstantOfShape, Concat, Reshape, Slice, Transpose
/// over the pad list — so that their results are constants (here, a Pad node's pads). Only nodes whose inputs are all
/// INT64/INT32 constants are evaluated, results of at most <see cref="MaxElements"/> elements; anything else is left
/// for the importer to map or refuse.
/// </summary>
internal static class OnnxConstantFolding
{
    /// <summary>The largest result folded.</summary>
    public const int MaxElements = 4096;

    private const int Int32Type = 6, Int64Type = 7;

    private sealed record Value(long[] Data, int[] Dims);

    /// <summary>Adds to <paramref name="consts"/> the output of every node that can be evaluated on constants.</summary>
    public static void Fold(GraphProto g, Dictionary<string, TensorProto> consts, string src, string? folder)
    {
        bool changed = true;
        for (int pass = 0; changed && pass < 64; pass++)
        {
            changed = false;
            foreach (var n in g.Node)
            {
                if (n.Domain is not ("" or "ai.onnx") || n.Output.Count != 1 || n.Output[0].Length == 0 || consts.ContainsKey(n.Output[0])) continue;
                if (n.Input.Count == 0 || n.Input.Any(i => i.Length > 0 && !consts.ContainsKey(i))) continue;
                var inputs = n.Input.Select(i => i.Length == 0 ? null : Read(consts[i], n.OpType, src, folder)).ToArray();
                Value? r;
                try { r = Eval(n, inputs, consts); }
                catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or DivideByZeroException) { r = null; }
                if (r is null || r.Data.Length > MaxElements) continue;
                consts[n.Output[0]] = OnnxTensors.MakeInt64(n.Output[0], r.Data, r.Dims.Select(d => (long)d).ToArray());
                changed = true;
            }
        }
    }

    /// <summary>An integer constant's values, or null (another type). Shape needs only the dims, of any type.</summary>
    private static Value? Read(TensorProto t, string op, string src, string? folder)
    {
        if (t.Dims.Any(d => d < 0 || d > MaxElements) || OnnxTensors.Count(t, src) > MaxElements) return null;
        int[] dims = t.Dims.Select(d => (int)d).ToArray();
        if (op == "Shape" && t.DataType is not (Int32Type or Int64Type)) return new Value([], dims);
        return t.DataType is Int32Type or Int64Type ? new Value(OnnxTensors.Int64s(t, src, folder), dims) : null;
    }

    private static long Attr(NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;
    private static long[]? Ints(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.ToArray() : null;

    private static Value? Eval(NodeProto n, Value?[] x, Dictionary<string, TensorProto> consts)
    {
        if (n.OpType != "Shape" && x.Where((v, i) => v is null && n.Input[i].Length > 0).Any()) return null;
        switch (n.OpType)
        {
            case "Shape":
                return new Value(x[0]!.Dims.Select(d => (long)d).ToArray(), [x[0]!.Dims.Length]);
            case "Cast":
                return Attr(n, "to", 0) is Int32Type or Int64Type ? x[0] : null;
            case "Add" or "Sub" or "Mul" or "Div":
            {
                var (a, b) = (x[0]!, x[1]!);
                bool aScalar = a.Data.Length == 1, bScalar = b.Data.Length == 1;
                if (!aScalar && !bScalar && !a.Dims.SequenceEqual(b.Dims)) return null;
                var shape = aScalar && !bScalar ? b.Dims : a.Dims.Length >= b.Dims.Length ? a.Dims : b.Dims;
                int len = Math.Max(a.Data.Length, b.Data.Length);
                var r = new long[len];
                for (int i = 0; i < len; i++)
                {
                    long u = a.Data[aScalar ? 0 : i], v = b.Data[bScalar ? 0 : i];
                    r[i] = n.OpType switch { "Add" => checked(u + v), "Sub" => checked(u - v), "Mul" => checked(u * v), _ => u / v };
                }
                return new Value(r, shape);
            }
            case "Gather":
            {
                var (d, idx) = (x[0]!, x[1]!);
                if (d.Dims.Length != 1 || Attr(n, "axis", 0) != 0) return null;
                var r = idx.Data.Select(i => d.Data[i < 0 ? i + d.Data.Length : i]).ToArray();
                return new Value(r, idx.Dims);
            }
            case "ConstantOfShape":
            {
                var value = n.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
                long fill = 0;
                if (value is not null)
                {
                    if (value.DataType is not (Int32Type or Int64Type)) return null;
                    fill = value.Int64Data.Count > 0 ? value.Int64Data[0] : value.Int32Data.Count > 0 ? value.Int32Data[0]
                        : value.RawData.Length >= 4 ? (value.DataType == Int64Type ? BitConverter.ToInt64(value.RawData.Span) : BitConverter.ToInt32(value.RawData.Span)) : 0;
                }
                var dims = x[0]!.Data;
                if (dims.Any(d => d < 0 || d > MaxElements)) return null;
                long count = dims.Aggregate(1L, (p, d) => p * d);
                if (count > MaxElements) return null;
                return new Value(Enumerable.Repeat(fill, (int)count).ToArray(), dims.Select(d => (int)d).ToArray());
            }
            case "Concat":
                if (x.Any(v => v!.Dims.Length != 1) || Attr(n, "axis", 0) is not (0 or -1)) return null;
                return new Value(x.SelectMany(v => v!.Data).ToArray(), [x.Sum(v => v!.Data.Length)]);
            case "Reshape":
            {
                var (d, s) = (x[0]!, x[1]!.Data);
                var dims = s.Select((v, i) => v == 0 && Attr(n, "allowzero", 0) == 0 ? (i < d.Dims.Length ? d.Dims[i] : -2) : v).ToArray();
                if (dims.Any(v => v < -1) || dims.Count(v => v == -1) > 1) return null;
                long known = dims.Where(v => v != -1).Aggregate(1L, (p, v) => p * v);
                if (dims.Contains(-1)) { if (known == 0 || d.Data.Length % known != 0) return null; dims = dims.Select(v => v == -1 ? d.Data.Length / known : v).ToArray(); }
                if (dims.Aggregate(1L, (p, v) => p * v) != d.Data.Length) return null;
                return new Value(d.Data, dims.Select(v => (int)v).ToArray());
            }
            case "Transpose":
            {
                var d = x[0]!;
                int rank = d.Dims.Length;
                var perm = Ints(n, "perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
                if (perm.Length != rank) return null;
                var outDims = perm.Select(p => d.Dims[p]).ToArray();
                var inStrides = ShapeUtil.Strides(d.Dims);
                var r = new long[d.Data.Length];
                var idx = new int[rank];
                for (int o = 0; o < r.Length; o++)
                {
                    int rem = o, src = 0;
                    for (int k = rank - 1; k >= 0; k--) { idx[k] = rem % outDims[k]; rem /= outDims[k]; }
                    for (int k = 0; k < rank; k++) src += idx[k] * inStrides[perm[k]];
                    r[o] = d.Data[src];
                }
                return new Value(r, outDims);
            }
            case "Slice":
            {
                var d = x[0]!;
                int rank = d.Dims.Length;
                long[] starts = x[1]!.Data, ends = x[2]!.Data;
                long[] axes = x.Length > 3 && x[3] is { } ax ? ax.Data : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                long[] steps = x.Length > 4 && x[4] is { } st ? st.Data : Enumerable.Repeat(1L, starts.Length).ToArray();
                if (axes.Length != starts.Length || ends.Length != starts.Length || steps.Length != starts.Length || steps.Any(s => s == 0)) return null;
                var begin = new long[rank]; var step = Enumerable.Repeat(1L, rank).ToArray(); var count = d.Dims.Select(v => (long)v).ToArray();
                for (int i = 0; i < axes.Length; i++)
                {
                    int a = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
                    long dim = d.Dims[a], s = starts[i] < 0 ? starts[i] + dim : starts[i], e = ends[i] < 0 ? ends[i] + dim : ends[i];
                    if (steps[i] > 0) { s = Math.Clamp(s, 0, dim); e = Math.Clamp(e, 0, dim); count[a] = Math.Max(0, (e - s + steps[i] - 1) / steps[i]); }
                    else { s = Math.Clamp(s, -1, dim - 1); e = Math.Clamp(e, -1, dim - 1); count[a] = Math.Max(0, (s - e - steps[i] - 1) / -steps[i]); }
                    begin[a] = s; step[a] = steps[i];
                }
                var outDims = count.Select(c => (int)c).ToArray();
                var inStrides = ShapeUtil.Strides(d.Dims);
                var r = new long[outDims.Aggregate(1, (p, v) => p * v)];
                for (int o = 0; o < r.Length; o++)
                {
                    int rem = o; long src = 0;
                    for (int k = rank - 1; k >= 0; k--) { long i = rem % outDims[k]; rem /= outDims[k]; src += (begin[k] + i * step[k]) * inStrides[k]; }
                    r[o] = d.Data[src];
                }
                return new Value(r, outDims);
            }
            case "Unsqueeze" or "Squeeze":
            {
                var d = x[0]!;
                long[]? axes = x.Length > 1 && x[1] is { } ax ? ax.Data : Ints(n, "axes");
                var dims = d.Dims.ToList();
                if (n.OpType == "Squeeze")
                {
                    if (axes is null) dims.RemoveAll(v => v == 1);
                    else foreach (var a in axes.Select(a => (int)(a < 0 ? a + dims.Count : a)).OrderDescending()) { if (dims[a] != 1) return null; dims.RemoveAt(a); }
                }
                else
                {
                    if (axes is null) return null;
                    int rank = dims.Count + axes.Length;
                    foreach (var a in axes.Select(a => (int)(a < 0 ? a + rank : a)).Order()) dims.Insert(a, 1);
                }
                return new Value(d.Data, dims.ToArray());
            }
            default:
                return null;
        }
    }
}
