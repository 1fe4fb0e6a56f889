using System.Runtime.InteropServices;
using Google.Protobuf;
using Nabla.Analysis;
using Nabla.IO.Onnx.Proto;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.IO.Onnx;

/// <summary>Writes a Nabla model (its evaluation-mode function) as an ONNX graph: opset 17, one graph input
/// <c>input</c> and one output <c>output</c>, both with a dynamic batch axis (<c>dim_param "batch"</c>), and the
/// model's state-dict names (<c>3.1.0.weight</c>, or an imported file's own names) as initializer names.</summary>
/// <remarks>
/// <para>Mapping: conv2d → Conv, linear → Gemm (transB=1) on (N, F) or Transpose+MatMul+Add on higher ranks,
/// batchnorm → BatchNormalization (running statistics), maxpool2d → MaxPool, avgpool2d → AveragePool,
/// adaptiveavgpool2d → GlobalAveragePool (1x1), AveragePool (sizes divide) or two MatMuls with constant averaging
/// matrices (any other size: the pooling is separable), flatten → Flatten(axis 1), activations and (log)softmax
/// → their ONNX operators, concat → Concat(axis 1), residual → Add. Dropout and Identity emit nothing.</para>
/// <para>Constants that are not in the state dict (the averaging matrices, a non-affine BatchNorm's scale and
/// bias) are named after their node (<c>/3/pool_rows</c>), so they never collide with state-dict names.</para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The opset written.</summary>
    public const int Opset = 17;

    /// <summary>The IR version written (ONNX 1.12 / opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>The graph's input and output names.</summary>
    public const string InputName = "input", OutputName = "output", BatchDim = "batch";

    /// <summary>Builds the ONNX model of <paramref name="model"/> in evaluation mode.</summary>
    /// <param name="model">A model as <see cref="ModelFactory"/> (or <see cref="BatchNormFolding"/>) builds it.</param>
    /// <param name="input">The per-sample input shape: (C, H, W) or (F).</param>
    /// <param name="graphName">The graph's name (e.g. the spec's file name).</param>
    /// <exception cref="NablaInputException">A layer has no ONNX mapping; the message names it.</exception>
    public static ModelProto ToModel(Module model, IReadOnlyList<int> input, string graphName = "nabla")
    {
        ArgumentNullException.ThrowIfNull(model);
        var b = new GraphBuilder(model);
        var (y, shape) = b.Walk(model, "", InputName, input.ToArray());
        b.Finish(y, input.ToArray(), shape, graphName);
        var m = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "nabla",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = b.Graph,
        };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return m;
    }

    /// <summary>Writes <see cref="ToModel"/> to <paramref name="path"/> atomically (nothing is left half-written).</summary>
    /// <exception cref="NablaInputException">A layer has no ONNX mapping, or the file cannot be written.</exception>
    public static void Save(Module model, IReadOnlyList<int> input, string path, string graphName = "nabla")
    {
        var proto = ToModel(model, input, graphName);
        AtomicFile.Write(path, s => proto.WriteTo(s));
    }

    private sealed class GraphBuilder
    {
        public readonly GraphProto Graph = new();
        private readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);

        public GraphBuilder(Module model)
        {
            foreach (var (name, t) in model.StateDict()) _names.TryAdd(t, name);
        }

        public (string, int[]) Walk(Module m, string path, string x, int[] shape)
        {
            switch (m)
            {
                case Sequential s:
                    return Chain(s.Layers, path, x, shape);
                case Concat c:
                {
                    var outs = new List<string>();
                    int channels = 0;
                    int[] last = shape;
                    for (int i = 0; i < c.Branches.Count; i++)
                    {
                        var (y, sh) = Walk(c.Branches[i], Join(path, i), x, shape);
                        outs.Add(y); channels += sh[0]; last = sh;
                    }
                    int[] outShape = [channels, .. last[1..]];
                    return (Node("Concat", path, outs, Attr("axis", 1)), outShape);
                }
                case Residual r:
                {
                    var (body, bs) = Chain(r.Body, path, x, shape);
                    var (sc, _) = r.Shortcut is null ? (x, shape) : Walk(r.Shortcut, Join(path, "shortcut"), x, shape);
                    return (Node("Add", path, [body, sc]), bs);
                }
                default:
                    return Leaf(m, path, x, shape);
            }
        }

        private (string, int[]) Chain(IReadOnlyList<Module> layers, string path, string x, int[] shape)
        {
            for (int i = 0; i < layers.Count; i++) (x, shape) = Walk(layers[i], Join(path, i), x, shape);
            return (x, shape);
        }

        private (string, int[]) Leaf(Module m, string path, string x, int[] shape)
        {
            switch (m)
            {
                case Conv2d c:
                {
                    var o = c.Options;
                    var inputs = new List<string> { x, Param(c.Weight, path, "weight") };
                    if (c.Bias is not null) inputs.Add(Param(c.Bias, path, "bias"));
                    var y = Node("Conv", path, inputs, Ints("kernel_shape", c.KernelSize.h, c.KernelSize.w),
                        Ints("strides", o.Stride.h, o.Stride.w), Ints("pads", o.Padding.h, o.Padding.w, o.Padding.h, o.Padding.w),
                        Ints("dilations", o.Dilation.h, o.Dilation.w), Attr("group", o.Groups));
                    return (y, [c.OutChannels, Out(shape[1], c.KernelSize.h, o.Stride.h, o.Padding.h, o.Dilation.h, false),
                        Out(shape[2], c.KernelSize.w, o.Stride.w, o.Padding.w, o.Dilation.w, false)]);
                }
                case Linear l:
                {
                    int[] outShape = [.. shape[..^1], l.OutFeatures];
                    string w = Param(l.Weight, path, "weight");
                    if (shape.Length == 1)
                    {
                        var inputs = new List<string> { x, w };
                        if (l.Bias is not null) inputs.Add(Param(l.Bias, path, "bias"));
                        return (Node("Gemm", path, inputs, Attr("transB", 1)), outShape);
                    }
                    string wt = Node("Transpose", path, [w], Ints("perm", 1, 0));
                    string mm = Node("MatMul", path, [x, wt]);
                    return (l.Bias is null ? mm : Node("Add", path, [mm, Param(l.Bias, path, "bias")]), outShape);
                }
                case BatchNorm bn:
                {
                    int n = bn.NumFeatures;
                    string scale = bn.Weight is not null ? Param(bn.Weight, path, "weight") : Constant(Seg(path) + "/scale", Enumerable.Repeat(1f, n).ToArray(), n);
                    string bias = bn.Bias is not null ? Param(bn.Bias, path, "bias") : Constant(Seg(path) + "/shift", new float[n], n);
                    return (Node("BatchNormalization", path, [x, scale, bias, Param(bn.RunningMean, path, "running_mean"), Param(bn.RunningVar, path, "running_var")],
                        Attr("epsilon", bn.Eps), Attr("momentum", 1f - bn.Momentum)), shape);
                }
                case MaxPool2d p:
                {
                    var (kh, kw, sh, sw, ph, pw, dh, dw) = (p.KernelSize.h, p.KernelSize.w, p.Stride.h, p.Stride.w, p.Padding.h, p.Padding.w, p.Dilation.h, p.Dilation.w);
                    int oh = Out(shape[1], kh, sh, ph, dh, p.CeilMode), ow = Out(shape[2], kw, sw, pw, dw, p.CeilMode);
                    // Floor mode with the end padding that yields PyTorch's size is exact for max (padding is never
                    // the max) in every runtime. Where ONNX's own ceil formula (opset 17: no "the last window must start
                    // in the input" rule) already gives PyTorch's size, ceil_mode=1 with symmetric pads is kept, as
                    // torch.onnx.export writes it.
                    int eh = EndPad(shape[1], kh, sh, ph, dh, oh), ew = EndPad(shape[2], kw, sw, pw, dw, ow);
                    bool ceil = false;
                    if ((eh != ph || ew != pw) && (OnnxCeil(shape[1], kh, sh, ph, dh) == oh && OnnxCeil(shape[2], kw, sw, pw, dw) == ow || eh >= kh || ew >= kw))
                        (eh, ew, ceil) = (ph, pw, true);
                    return (Node("MaxPool", path, [x], Ints("kernel_shape", kh, kw), Ints("strides", sh, sw),
                            Ints("pads", ph, pw, eh, ew), Ints("dilations", dh, dw), Attr("ceil_mode", ceil ? 1 : 0)),
                        [shape[0], oh, ow]);
                }
                case AvgPool2d p:
                    return (AvgPool(p, path, x, shape, out var avgShape), avgShape);
                case AdaptiveAvgPool2d a:
                    return (Adaptive(a, path, x, shape), [shape[0], a.OutputSize.h, a.OutputSize.w]);
                case Dropout or Identity:
                    return (x, shape);
                case Flatten f when f.StartDim == 1:
                    return (Node("Flatten", path, [x], Attr("axis", 1)), [(int)LayerMath.Elements(shape)]);
                case ReLU: return (Node("Relu", path, [x]), shape);
                case ReLU6: return (Node("Clip", path, [x, Constant("relu6_min", [0f]), Constant("relu6_max", [6f])]), shape);
                case Sigmoid: return (Node("Sigmoid", path, [x]), shape);
                case Tanh: return (Node("Tanh", path, [x]), shape);
                case LeakyReLU r: return (Node("LeakyRelu", path, [x], Attr("alpha", r.NegativeSlope)), shape);
                case Pad2d p:
                    return (Node("Pad", path, [x, Int64Constant(Seg(path) + "/pads", [0, 0, p.Top, p.Left, 0, 0, p.Bottom, p.Right]),
                            Constant(Seg(path) + "/value", [p.Value])]),
                        [shape[0], shape[1] + p.Top + p.Bottom, shape[2] + p.Left + p.Right]);
                case Affine f:
                {
                    // Mul and Add by constants broadcast over dim 1 ([C, 1, 1] for images, [F] for features).
                    long[] Dims(float[] v) => v.Length == 1 ? [] : shape.Length == 1 ? [v.Length] : [v.Length, .. Enumerable.Repeat(1L, shape.Length - 1)];
                    string y = x;
                    if (f.Scale.Any(v => v != 1)) y = Node("Mul", path, [y, Constant(Seg(path) + "/scale", f.Scale, Dims(f.Scale))]);
                    if (f.Shift.Any(v => v != 0)) y = Node("Add", path, [y, Constant(Seg(path) + "/shift", f.Shift, Dims(f.Shift))]);
                    return (y, shape);
                }
                case ELU e: return (Node("Elu", path, [x], Attr("alpha", e.Alpha)), shape);
                case GELU:
                {
                    // Opset 17 has no Gelu (opset 20 has): x·½(1 + erf(x/√2)), written as torch.onnx.export writes it.
                    string erf = Node("Erf", path, [Node("Div", path, [x, Constant("gelu_sqrt2", [MathF.Sqrt(2f)])])]);
                    string inner = Node("Mul", path, [x, Node("Add", path, [erf, Constant("gelu_one", [1f])])]);
                    return (Node("Mul", path, [inner, Constant("gelu_half", [0.5f])]), shape);
                }
                case Softmax s: return (Node("Softmax", path, [x], Attr("axis", s.Dim)), shape);
                case LogSoftmax s: return (Node("LogSoftmax", path, [x], Attr("axis", s.Dim)), shape);
                default:
                    throw new NablaInputException($"ONNX export: layer '{path}' ({m.GetType().Name}) has no ONNX mapping");
            }
        }

        /// <summary>Average pooling in a form whose meaning no runtime can read differently: floor mode wherever the
        /// size needs ceil's extra window. PyTorch's divisor with count_include_pad counts the padding up to n + p only,
        /// never the part of a ceil window past it, so such a window is written as an explicit zero Pad (real elements
        /// to ONNX) followed by count_include_pad=0 pooling with the extra end padding; ONNX's ceil_mode=1 (and its
        /// count_include_pad divisor for a window past the padding) is kept only where neither question arises.</summary>
        private string AvgPool(AvgPool2d p, string path, string x, int[] shape, out int[] outShape)
        {
            var (kh, kw, sh, sw, ph, pw) = (p.KernelSize.h, p.KernelSize.w, p.Stride.h, p.Stride.w, p.Padding.h, p.Padding.w);
            int oh = Out(shape[1], kh, sh, ph, 1, p.CeilMode), ow = Out(shape[2], kw, sw, pw, 1, p.CeilMode);
            outShape = [shape[0], oh, ow];
            int eh = EndPad(shape[1], kh, sh, ph, 1, oh), ew = EndPad(shape[2], kw, sw, pw, 1, ow);
            bool unpadded = ph == 0 && pw == 0, include = p.CountIncludePad && !unpadded;
            AttributeProto[] Pool(long bh, long bw, long th, long tw, bool cip, bool ceil) =>
                [Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", bh, bw, th, tw),
                    Attr("count_include_pad", cip ? 1 : 0), Attr("ceil_mode", ceil ? 1 : 0)];
            if (eh == ph && ew == pw) return Node("AveragePool", path, [x], Pool(ph, pw, ph, pw, include, false));
            if (!include && OnnxCeil(shape[1], kh, sh, ph, 1) == oh && OnnxCeil(shape[2], kw, sw, pw, 1) == ow)
                return Node("AveragePool", path, [x], Pool(ph, pw, ph, pw, false, true));
            if (!include) return Node("AveragePool", path, [x], Pool(ph, pw, eh, ew, false, false));
            string padded = Node("Pad", path, [x, Int64Constant(Seg(path) + "/pads", [0, 0, ph, pw, 0, 0, ph, pw])]);
            return Node("AveragePool", path, [padded], Pool(0, 0, eh - ph, ew - pw, false, false));
        }

        /// <summary>Adaptive average pooling; the general case as rows·X·cols with averaging matrices, since each output
        /// cell is the mean over a rectangle [lo_i, hi_i) x [lo_j, hi_j) (PyTorch's windows).</summary>
        private string Adaptive(AdaptiveAvgPool2d a, string path, string x, int[] shape)
        {
            int h = shape[1], w = shape[2], oh = a.OutputSize.h, ow = a.OutputSize.w;
            if (oh == 1 && ow == 1) return Node("GlobalAveragePool", path, [x]);
            if (h % oh == 0 && w % ow == 0)
                return Node("AveragePool", path, [x], Ints("kernel_shape", h / oh, w / ow), Ints("strides", h / oh, w / ow));
            var cols = new float[w * ow];           // (W, OW): x @ cols averages along W
            for (int j = 0; j < ow; j++)
            {
                var (lo, hi) = Window(j, w, ow);
                for (int k = lo; k < hi; k++) cols[k * ow + j] = 1f / (hi - lo);
            }
            var rows = new float[oh * h];           // (OH, H): rows @ (x @ cols) averages along H
            for (int i = 0; i < oh; i++)
            {
                var (lo, hi) = Window(i, h, oh);
                for (int k = lo; k < hi; k++) rows[i * h + k] = 1f / (hi - lo);
            }
            string byCols = Node("MatMul", path, [x, Constant(Seg(path) + "/pool_cols", cols, w, ow)]);
            return Node("MatMul", path, [Constant(Seg(path) + "/pool_rows", rows, oh, h), byCols]);
        }

        private static (int, int) Window(int i, int n, int o) => ((int)((long)i * n / o), (int)(((long)(i + 1) * n + o - 1) / o));

        private static int Out(int n, int k, int s, int p, int d, bool ceil) => LayerMath.OutSize(n, k, s, p, d, ceil);

        /// <summary>ONNX's ceil_mode output size as opset 17 defines it: ceil((n + 2p - d(k-1) - 1) / s) + 1, without
        /// PyTorch's rule that drops a last window starting in the right padding.</summary>
        private static int OnnxCeil(int n, int k, int s, int p, int d) => (int)(((long)n + 2L * p - (long)d * (k - 1) - 1 + s - 1) / s) + 1;

        /// <summary>The end padding that makes floor-mode pooling give <paramref name="outSize"/> outputs: the smallest
        /// e >= 0 with floor((n + p + e - d(k-1) - 1) / s) + 1 = outSize, or p when p already does.</summary>
        private static int EndPad(int n, int k, int s, int p, int d, int outSize)
        {
            if (LayerMath.OutSize(n, k, s, p, d, false) == outSize) return p;
            return Math.Max(0, (outSize - 1) * s + d * (k - 1) + 1 - n - p);
        }

        private string Param(Tensor t, string path, string field)
        {
            string name = _names.TryGetValue(t, out var n) ? n : Join(path, field);
            if (_initializers.Add(name)) Graph.Initializer.Add(FloatTensor(name, t.Span, t.Shape.Select(d => (long)d).ToArray()));
            return name;
        }

        private string Constant(string name, float[] data, params long[] dims)
        {
            if (_initializers.Add(name)) Graph.Initializer.Add(FloatTensor(name, data, dims));
            return name;
        }

        private string Int64Constant(string name, long[] data)
        {
            if (_initializers.Add(name))
            {
                var t = new TensorProto { Name = name, DataType = Int64Type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())) };
                t.Dims.Add(data.Length);
                Graph.Initializer.Add(t);
            }
            return name;
        }

        private readonly Dictionary<string, int> _nodeCount = new(StringComparer.Ordinal);

        private string Node(string op, string path, IEnumerable<string> inputs, params AttributeProto[] attrs)
        {
            string baseName = Seg(path) + "/" + op;
            int k = _nodeCount.TryGetValue(baseName, out var c) ? c : 0;
            _nodeCount[baseName] = k + 1;
            string name = k == 0 ? baseName : $"{baseName}_{k}";
            var node = new NodeProto { Name = name, OpType = op };
            node.Input.AddRange(inputs);
            node.Output.Add(name + "_output_0");
            node.Attribute.AddRange(attrs);
            Graph.Node.Add(node);
            return node.Output[0];
        }

        public void Finish(string y, int[] input, int[] output, string graphName)
        {
            if (y == InputName || _initializers.Contains(y)) y = Node("Identity", "", [y]);
            foreach (var n in Graph.Node)
            {
                for (int i = 0; i < n.Output.Count; i++) if (n.Output[i] == y) n.Output[i] = OutputName;
                for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == y) n.Input[i] = OutputName;
            }
            Graph.Name = graphName;
            Graph.Input.Add(Value(InputName, input));
            Graph.Output.Add(Value(OutputName, output));
        }

        private static ValueInfoProto Value(string name, int[] shape)
        {
            var s = new TensorShapeProto();
            s.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDim });
            foreach (int d in shape) s.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = FloatType, Shape = s } },
            };
        }

        private static string Seg(string path) => path.Length == 0 ? "" : "/" + path.Replace('.', '/');
        private static string Join(string prefix, int i) => Join(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
    }

    private const int FloatType = 1, Int64Type = 7;
    private const int AttrFloat = 1, AttrInt = 2, AttrInts = 7;

    private static TensorProto FloatTensor(string name, ReadOnlySpan<float> data, long[] dims)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export needs a little-endian machine");
        var t = new TensorProto { Name = name, DataType = FloatType, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static AttributeProto Attr(string name, long v) => new() { Name = name, Type = AttrInt, I = v };
    private static AttributeProto Attr(string name, float v) => new() { Name = name, Type = AttrFloat, F = v };

    private static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttrInts };
        a.Ints.AddRange(v);
        return a;
    }
}
