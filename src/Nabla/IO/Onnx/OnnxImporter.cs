using System.Globalization;
using Google.Protobuf;
using Nabla.IO.Onnx.Proto;
using Nabla.IO.Spec;
using Nabla.Tensors;

namespace Nabla.IO.Onnx;

/// <summary>
/// Turns an ONNX graph into a Nabla <see cref="ModelSpec"/> (built once into modules, not interpreted per node):
/// a chain of layer operators, forks that join in an <c>Add</c> (a residual block) or a channel <c>Concat</c>
/// (a concat block). Initializers become the weights under their own names (a torch export's state_dict names).
/// </summary>
public static class OnnxImporter
{
    /// <summary>The default-domain opsets accepted (19 and 20 for files that use opset 20's Gelu; what those opsets add
    /// to the mapped operators, AveragePool dilations and Pad's wrap mode, is refused by name).</summary>
    public const int MinOpset = 11, MaxOpset = 20;

    /// <summary>The largest file read (protobuf's own 2 GiB limit).</summary>
    private const long MaxFileBytes = int.MaxValue;

    /// <summary>Reads and imports a file.</summary>
    /// <exception cref="NablaInputException">Not a readable ONNX model, or an operator/attribute Nabla does not support;
    /// one line naming the file (and the node).</exception>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new NablaInputException($"{path}: no such file");
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new NablaInputException($"{path}: {length} bytes, larger than the 2 GiB an ONNX protobuf can hold (use external data)");
        return Import(File.ReadAllBytes(path), path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Imports a model from its bytes.</summary>
    /// <param name="bytes">The serialized ModelProto.</param>
    /// <param name="source">Name used in messages.</param>
    /// <param name="folder">Folder that external data must lie in (null: the current directory).</param>
    /// <exception cref="NablaInputException">See <see cref="Load"/>.</exception>
    public static OnnxModel Import(byte[] bytes, string source, string? folder = null)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) when (e.Message.Contains("truncated", StringComparison.Ordinal) || e.Message.Contains("ended unexpectedly", StringComparison.Ordinal))
        {
            throw new NablaInputException($"{source}: truncated or not an ONNX model (the protobuf data ends inside a field, {bytes.Length} bytes)");
        }
        catch (InvalidProtocolBufferException e) { throw new NablaInputException($"{source}: not an ONNX model (protobuf: {e.Message.TrimEnd('.')})"); }
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.IrVersion <= 0)
            throw new NablaInputException($"{source}: not an ONNX model (no ir_version or no graph nodes)");
        int opset = (int)Math.Min(int.MaxValue, model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max());
        if (opset < MinOpset || opset > MaxOpset)
            throw new NablaInputException($"{source}: opset {opset} is not supported (Nabla reads opsets {MinOpset}-{MaxOpset})");
        return new GraphReader(model.Graph, source, folder, opset).Read();
    }

    private sealed class GraphReader(GraphProto g, string src, string? folder, int opset)
    {
        private readonly Dictionary<string, TensorProto> _consts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
        private readonly HashSet<NodeProto> _aliases = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
        private readonly Dictionary<LayerSpec, List<(string Suffix, string Onnx, Tensor Value)>> _bind = new(ReferenceEqualityComparer.Instance);
        private int _rank;

        public OnnxModel Read()
        {
            foreach (var t in g.Initializer) _consts[t.Name] = t;
            foreach (var n in g.Node)
            {
                if (n.OpType == "Constant" && n.Domain is "" or "ai.onnx")
                {
                    var a = n.Attribute.FirstOrDefault(x => x.Name == "value" && x.T is not null)
                        ?? throw Unsupported(n, "a Constant without a tensor 'value'");
                    if (n.Output.Count != 1 || n.Output[0].Length == 0) throw new NablaInputException($"{src}: node '{n.Name}' (op Constant) has {n.Output.Count} outputs; the operator has 1");
                    var t = a.T.Clone(); t.Name = n.Output[0];
                    _consts[n.Output[0]] = t;
                    continue;
                }
                if (n.OpType == "Identity" && n.Domain is "" or "ai.onnx" && n.Input.Count == 1 && n.Output.Count == 1
                    && _consts.TryGetValue(n.Input[0], out var aliased))
                {
                    // torch.onnx.export keeps one initializer of several with equal values and writes the others as
                    // Identity nodes of it, named as the duplicates' state_dict names (4.running_var = Identity(1.weight)).
                    var t = aliased.Clone(); t.Name = n.Output[0];
                    _consts[n.Output[0]] = t;
                    _aliases.Add(n);
                    continue;
                }
                foreach (var o in n.Output) _producer[o] = n;
            }
            FuseErfGelu();
            OnnxConstantFolding.Fold(g, _consts, src, folder);
            CheckAcyclic();
            foreach (var n in g.Node)
                foreach (var i in Dynamic(n).Distinct())
                    (_consumers.TryGetValue(i, out var l) ? l : _consumers[i] = []).Add(n);

            var inputs = g.Input.Where(i => !_consts.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1) throw new NablaInputException($"{src}: the graph has {inputs.Count} inputs; Nabla imports models with one input");
            int[] sample = SampleShape(inputs[0]);
            _rank = sample.Length + 1;
            if (g.Output.Count != 1) throw new NablaInputException($"{src}: the graph has {g.Output.Count} outputs; Nabla imports models with one output");
            var (layers, end, _) = Chain(inputs[0].Name, null);
            if (end != g.Output[0].Name)
                throw new NablaInputException($"{src}: the graph's output '{g.Output[0].Name}' is not reached from its input along a chain Nabla can map");
            var spec = new ModelSpec(sample, layers, src);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (mine, named) in Walk(layers).Zip(spec.AllLayers()))
                if (_bind.TryGetValue(mine, out var list))
                    foreach (var (suffix, onnx, value) in list)
                    {
                        names[named.Name + "." + suffix] = onnx;
                        weights[onnx] = value;
                    }
            return new OnnxModel(new ModelSpec(sample, spec.Layers, src) { ParameterNames = names, InitialWeights = weights }, opset);
        }

        private static IEnumerable<LayerSpec> Walk(IEnumerable<LayerSpec> layers)
        {
            foreach (var layer in layers)
            {
                if (layer is ConcatSpec c) foreach (var b in c.Branches) foreach (var l in Walk(b)) yield return l;
                if (layer is ResidualSpec r)
                {
                    foreach (var l in Walk(r.Body)) yield return l;
                    if (r.Shortcut is not null) foreach (var l in Walk(r.Shortcut)) yield return l;
                }
                yield return layer;
            }
        }

        private int[] SampleShape(ValueInfoProto v)
        {
            var dims = v.Type?.TensorType?.Shape?.Dim;
            if (dims is null || dims.Count is not (2 or 4))
                throw new NablaInputException($"{src}: input '{v.Name}' must have a known shape [N, C, H, W] or [N, F]");
            var s = new int[dims.Count - 1];
            for (int i = 1; i < dims.Count; i++)
            {
                if (dims[i].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[i].DimValue <= 0 || dims[i].DimValue > 1 << 20)
                    throw new NablaInputException($"{src}: input '{v.Name}' dimension {i} is not a fixed positive size (only the batch axis may be dynamic)");
                s[i - 1] = (int)dims[i].DimValue;
            }
            return s;
        }

        private void CheckAcyclic()
        {
            var indeg = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
            var users = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
            var nodes = g.Node.Where(n => n.OpType != "Constant" && !_aliases.Contains(n)).ToList();
            foreach (var n in nodes)
            {
                int d = 0;
                foreach (var i in n.Input.Where(i => _producer.ContainsKey(i)).Distinct())
                {
                    d++;
                    (users.TryGetValue(i, out var l) ? l : users[i] = []).Add(n);
                }
                indeg[n] = d;
            }
            var ready = new Queue<NodeProto>(nodes.Where(n => indeg[n] == 0));
            int done = 0;
            while (ready.Count > 0)
            {
                var n = ready.Dequeue(); done++;
                foreach (var o in n.Output)
                    if (users.TryGetValue(o, out var l))
                        foreach (var u in l) if (--indeg[u] == 0) ready.Enqueue(u);
            }
            if (done != nodes.Count)
            {
                var stuck = nodes.First(n => indeg[n] > 0);
                throw new NablaInputException($"{src}: the graph has a cycle (through node '{stuck.Name}', op {stuck.OpType})");
            }
        }

        private IEnumerable<string> Dynamic(NodeProto n) =>
            n.OpType == "Shape" ? [] : n.Input.Where(i => i.Length > 0 && !_consts.ContainsKey(i) && !IsShapeValue(i));

        /// <summary>True when a value is computed from a Shape node only (the Reshape chain of older exporters).</summary>
        private bool IsShapeValue(string v)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            bool Rec(string x)
            {
                if (_consts.ContainsKey(x)) return true;
                if (!_producer.TryGetValue(x, out var p) || !seen.Add(x)) return false;
                if (p.OpType == "Shape") return true;
                if (p.OpType is not ("Gather" or "Unsqueeze" or "Concat" or "Cast" or "Slice" or "Squeeze")) return false;
                return p.Input.Where(i => i.Length > 0).All(Rec);
            }
            return Rec(v);
        }

        /// <summary>Maps the chain starting at value <paramref name="v"/> up to a join node (or the graph output).</summary>
        /// <returns>The layers, the last value, and the join node that consumes it (null at the graph output).</returns>
        private (List<LayerSpec> Layers, string End, NodeProto? Join) Chain(string v, NodeProto? first)
        {
            var layers = new List<LayerSpec>();
            while (true)
            {
                List<NodeProto> next;
                if (first is not null) { next = [first]; first = null; }
                else next = _consumers.TryGetValue(v, out var l) ? l : [];
                if (next.Count == 0) return (layers, v, null);
                if (next.Count == 1 && IsJoin(next[0]) && Dynamic(next[0]).All(i => i == v))
                {
                    // Add(x, x) or Concat(x, x, ...): every operand is this value (a block whose paths are all the
                    // identity, e.g. dropout in evaluation, or branches the exporter merged as common subexpressions).
                    var self = next[0];
                    if (self.OpType == "Add") layers.Add(new ResidualSpec([], null));
                    else layers.Add(new ConcatSpec(Dynamic(self).Select(_ => (IReadOnlyList<LayerSpec>)[]).ToList()));
                    v = self.Output[0];
                    continue;
                }
                if (next.Count == 1 && IsJoin(next[0])) return (layers, v, next[0]);
                if (next.Count == 1) { v = Layer(next[0], layers); continue; }
                if (Fork(v, next, layers) is not { } joined) return (layers, NestedFork, _nestedJoin);
                v = joined;
            }
        }

        private bool IsJoin(NodeProto n) => n.OpType is "Add" or "Concat" && Dynamic(n).Count() == 2 || n.OpType == "Concat" && Dynamic(n).Count() > 2;

        /// <summary>The end a chain reports when it stopped at a fork whose branches feed a Concat that also takes
        /// other operands (<see cref="_nested"/>): a weightless prefix two concat branches shared in the exporter.</summary>
        private const string NestedFork = "\0nested fork";
        private List<(List<LayerSpec> Layers, string End)>? _nested;
        private NodeProto? _nestedJoin;

        /// <summary>Maps the fork at <paramref name="v"/> up to its join; returns the join's output, or null when the
        /// branches are some of a Concat's operands only (left in <see cref="_nested"/> for the enclosing fork).</summary>
        private string? Fork(string v, List<NodeProto> starts, List<LayerSpec> layers)
        {
            var branches = new List<(List<LayerSpec> Layers, string End)>();
            NodeProto? join = null;
            foreach (var s in starts)
            {
                if (IsJoin(s)) { branches.Add(([], v)); JoinCheck(ref join, s); continue; }
                var (ls, end, j) = Chain(v, s);
                if (j is null) throw new NablaInputException($"{src}: the branch starting at node '{s.Name}' never joins the others (Nabla maps forks that meet in an Add or a Concat)");
                JoinCheck(ref join, j);
                if (end == NestedFork)
                {
                    // This branch forked again into several of the same Concat's operands: each gets a copy of the
                    // shared prefix, exact when the prefix has no weights.
                    var inner = _nested!;
                    _nested = null;
                    if (Walk(ls).Any(_bind.ContainsKey))
                        throw Unsupported(j, "branches that share a prefix with weights before a Concat (Nabla's branches have their own weights)");
                    foreach (var (bl, bend) in inner) branches.Add(([.. ls, .. bl], bend));
                    continue;
                }
                branches.Add((ls, end));
            }
            var ins = join!.Input.Where(i => Dynamic(join).Contains(i)).ToList();
            if (join.OpType == "Concat" && ins.Distinct().Count() > branches.Count && branches.All(b => ins.Contains(b.End)))
            {
                _nested = branches;
                _nestedJoin = join;
                return null;
            }
            if (ins.Distinct().Count() != branches.Count)
                throw new NablaInputException($"{src}: node '{join.Name}' (op {join.OpType}) joins {ins.Count} values, but {branches.Count} paths lead to it from '{v}'");
            if (join.OpType == "Add")
            {
                var byLen = branches.OrderByDescending(b => b.Layers.Count).ToList();
                layers.Add(new ResidualSpec(byLen[0].Layers, byLen[1].Layers.Count == 0 ? null : byLen[1].Layers));
            }
            else
            {
                long axis = Int(join, "axis", 1);
                if (axis != 1 && axis != 1 - _rank) throw Unsupported(join, $"concatenation along axis {axis} (Nabla concatenates channels, axis 1)");
                // An operand may repeat: identical branches the exporter computed once (common subexpressions).
                // Repeating a branch without weights is exact; one with weights would untie them.
                var ordered = ins.Select(i => branches.First(b => b.End == i).Layers).ToList();
                foreach (var repeated in ins.GroupBy(i => i).Where(grp => grp.Count() > 1))
                    if (Walk(branches.First(b => b.End == repeated.Key).Layers).Any(_bind.ContainsKey))
                        throw Unsupported(join, $"a Concat that repeats '{repeated.Key}', computed with weights (Nabla's branches have their own weights)");
                layers.Add(new ConcatSpec(ordered));
            }
            return join.Output[0];
        }

        private void JoinCheck(ref NodeProto? join, NodeProto j)
        {
            if (join is not null && !ReferenceEquals(join, j))
                throw new NablaInputException($"{src}: branches meet at different nodes ('{join.Name}' and '{j.Name}'); Nabla maps forks that meet in one Add or Concat");
            join = j;
        }

        /// <summary>Appends the layer(s) of one single-input node; returns its output value.</summary>
        private string Layer(NodeProto n, List<LayerSpec> layers)
        {
            if (n.Domain is not ("" or "ai.onnx")) throw Unsupported(n, null);
            CheckArity(n);
            if (n.OpType == "Pad") return PadThen(n, layers);
            if (n.OpType == "Transpose") return TransposeLayer(n, layers);
            LayerSpec? l = n.OpType switch
            {
                "Conv" => Conv(n, default, layers),
                "Gemm" => Gemm(n),
                "MatMul" => MatMul(n, layers),
                "Relu" => new ActivationSpec(LayerKind.ReLU),
                "Sigmoid" => new ActivationSpec(LayerKind.Sigmoid),
                "Tanh" => new ActivationSpec(LayerKind.Tanh),
                "LeakyRelu" => new LeakyReLUSpec { NegativeSlope = Float(n, "alpha", 0.01f) },
                "Elu" => new EluSpec { Alpha = Float(n, "alpha", 1f) },
                "Gelu" => Str(n, "approximate", "none") == "none" ? new ActivationSpec(LayerKind.Gelu)
                    : throw Unsupported(n, $"Gelu with approximate '{Str(n, "approximate", "none")}' (Nabla has the exact, erf GELU)"),
                "Softmax" or "LogSoftmax" => SoftmaxLayer(n),
                "MaxPool" => MaxPool(n, layers),
                "AveragePool" => AvgPool(n, default, layers),
                "GlobalAveragePool" => new AdaptiveAvgPool2dSpec(new Size2(1, 1)),
                "BatchNormalization" => BatchNorm(n),
                "Flatten" => FlattenLayer(n),
                "Reshape" => ReshapeLayer(n),
                "Dropout" or "Identity" => null,
                "Clip" => ClipLayer(n),
                "Add" or "Sub" or "Mul" or "Div" => Arithmetic(n, layers),
                _ => throw Unsupported(n, null),
            };
            if (l is not null) layers.Add(l);
            if (l is FlattenSpec) _rank = 2;
            return n.Output[0];
        }

        /// <summary>The input and output counts the operator's schema allows (ONNX opsets 11-18), checked before any is read.</summary>
        private void CheckArity(NodeProto n)
        {
            (int Min, int Max) ins = n.OpType switch
            {
                "Conv" or "Gemm" => (2, 3),
                "MatMul" or "Reshape" or "Add" or "Sub" or "Mul" or "Div" => (2, 2),
                "BatchNormalization" => (5, 5),
                "Dropout" or "Clip" => (1, 3),
                "Pad" => (1, 4),
                "Relu" or "Sigmoid" or "Tanh" or "LeakyRelu" or "Elu" or "Gelu" or "Softmax" or "LogSoftmax" or "MaxPool" or "AveragePool"
                    or "GlobalAveragePool" or "Flatten" or "Identity" or "Transpose" => (1, 1),
                _ => (0, int.MaxValue), // not mapped: reported as unsupported by name
            };
            if (ins.Max == int.MaxValue) return;
            if (n.Input.Count < ins.Min || n.Input.Count > ins.Max || n.Input[0].Length == 0)
                throw new NablaInputException($"{src}: node '{n.Name}' (op {n.OpType}) has {n.Input.Count} inputs; the operator takes {(ins.Min == ins.Max ? ins.Min.ToString(CultureInfo.InvariantCulture) : $"{ins.Min}-{ins.Max}")}");
            if (n.Output.Count == 0 || n.Output[0].Length == 0)
                throw new NablaInputException($"{src}: node '{n.Name}' (op {n.OpType}) has no output");
        }

        private NablaInputException Unsupported(NodeProto n, string? what) => new(what is null
            ? $"{src}: node '{n.Name}' (op {n.OpType}, opset {opset}) is not supported"
            : $"{src}: node '{n.Name}' (op {n.OpType}, opset {opset}): {what} is not supported");

        private TensorProto Const(NodeProto n, int input, string what)
        {
            if (n.Input.Count <= input || !_consts.TryGetValue(n.Input[input], out var t))
                throw Unsupported(n, $"a {what} that is not an initializer or constant");
            return t;
        }

        private Tensor Weight(TensorProto t) =>
            new(OnnxTensors.Floats(t, src, folder), t.Dims.Select(d => (int)d).ToArray());

        private void Bind(LayerSpec l, string suffix, string onnx, Tensor value) =>
            (_bind.TryGetValue(l, out var list) ? list : _bind[l] = []).Add((suffix, onnx, value));

        private static Size2 Plus(Size2 a, Size2 b) => new(a.H + b.H, a.W + b.W);

        private static AttributeProto? Attr(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);
        private static long Int(NodeProto n, string name, long dflt) => Attr(n, name) is { } a ? a.I : dflt;
        private static float Float(NodeProto n, string name, float dflt) => Attr(n, name) is { } a ? a.F : dflt;
        private static long[]? Ints(NodeProto n, string name) => Attr(n, name) is { } a ? a.Ints.ToArray() : null;
        private static string Str(NodeProto n, string name, string dflt) => Attr(n, name) is { } a ? a.S.ToStringUtf8() : dflt;

        private Size2 Pair(NodeProto n, string name, int dflt)
        {
            var v = Ints(n, name);
            if (v is null) return new Size2(dflt, dflt);
            if (v.Length != 2 || v.Any(x => x < 0 || x > 1 << 20)) throw Unsupported(n, $"{name} [{string.Join(", ", v)}] (Nabla has 2-d pooling and convolution)");
            return new Size2((int)v[0], (int)v[1]);
        }

        /// <summary>The node's padding: the symmetric part (kept in the conv or pool), and the rest as an explicit
        /// <see cref="Pad2dSpec"/> to put before it, or null when the pads are symmetric.</summary>
        private (Size2 Symmetric, Pad2dSpec? Remainder) Pads(NodeProto n, Size2 kernel, Size2 stride, Size2 dilation, double value = 0)
        {
            string auto = Str(n, "auto_pad", "NOTSET");
            long[] p;
            if (auto is "SAME_UPPER" or "SAME_LOWER")
            {
                // At stride 1 the total is d·(k − 1) on each axis, the odd one at the end (UPPER) or the start (LOWER).
                int th = dilation.H * (kernel.H - 1), tw = dilation.W * (kernel.W - 1);
                if (stride != new Size2(1, 1)) throw Unsupported(n, $"auto_pad {auto} with a stride other than 1");
                bool upper = auto == "SAME_UPPER";
                p = [upper ? th / 2 : th - th / 2, upper ? tw / 2 : tw - tw / 2, upper ? th - th / 2 : th / 2, upper ? tw - tw / 2 : tw / 2];
            }
            else if (auto == "VALID") p = [0, 0, 0, 0];
            else if (auto != "NOTSET") throw Unsupported(n, $"auto_pad {auto}");
            else p = Ints(n, "pads") ?? [0, 0, 0, 0];
            if (p.Length != 4 || p.Any(x => x < 0 || x > 1 << 20)) throw Unsupported(n, $"pads [{string.Join(", ", p)}]");
            var sym = new Size2((int)Math.Min(p[0], p[2]), (int)Math.Min(p[1], p[3]));
            if (p[0] == p[2] && p[1] == p[3]) return (sym, null);
            return (sym, new Pad2dSpec { Top = (int)p[0] - sym.H, Left = (int)p[1] - sym.W, Bottom = (int)p[2] - sym.H, Right = (int)p[3] - sym.W, Value = value });
        }

        private LayerSpec Conv(NodeProto n, Size2 extra, List<LayerSpec> layers)
        {
            var w = Const(n, 1, "weight");
            if (w.Dims.Count != 4) throw Unsupported(n, $"a weight of rank {w.Dims.Count} (Nabla has 2-d convolution)");
            var k = new Size2((int)w.Dims[2], (int)w.Dims[3]);
            if (Ints(n, "kernel_shape") is { } ks && (ks.Length != 2 || ks[0] != k.H || ks[1] != k.W)) throw Unsupported(n, "kernel_shape that differs from the weight");
            var stride = Pair(n, "strides", 1);
            var dil = Pair(n, "dilations", 1);
            bool bias = n.Input.Count > 2 && n.Input[2].Length > 0;
            var (pads, rest) = Pads(n, k, stride, dil);
            if (rest is not null) layers.Add(rest); // zero padding: the conv's own padding is zeros too
            var l = new Conv2dSpec((int)w.Dims[0], k)
            {
                Stride = stride, Dilation = dil, Padding = Plus(pads, extra), Groups = (int)Int(n, "group", 1), Bias = bias,
            };
            Bind(l, "weight", w.Name, Weight(w));
            if (bias) { var b = Const(n, 2, "bias"); Bind(l, "bias", b.Name, Weight(b)); }
            return l;
        }

        private LayerSpec Gemm(NodeProto n)
        {
            if (Int(n, "transA", 0) != 0 || Float(n, "alpha", 1) != 1 || Float(n, "beta", 1) != 1)
                throw Unsupported(n, "Gemm with transA, alpha or beta other than 0, 1, 1");
            var w = Const(n, 1, "weight");
            var wt = Weight(w);
            if (wt.Rank != 2) throw Unsupported(n, "a weight that is not a matrix");
            if (Int(n, "transB", 0) == 0) wt = Transpose(wt);
            bool bias = n.Input.Count > 2 && n.Input[2].Length > 0;
            var l = new LinearSpec(wt.Shape[0]) { Bias = bias };
            Bind(l, "weight", w.Name, wt);
            if (bias)
            {
                var b = Const(n, 2, "bias");
                var bt = Weight(b);
                if (bt.Numel != wt.Shape[0]) throw Unsupported(n, $"a bias of shape [{string.Join(", ", b.Dims)}] (Nabla needs one per output)");
                Bind(l, "bias", b.Name, new Tensor(bt.Data, wt.Shape[0]));
            }
            return l;
        }

        private LayerSpec MatMul(NodeProto n, List<LayerSpec> layers)
        {
            var w = Const(n, 1, "weight");
            var wt = Weight(w);
            if (wt.Rank != 2 || _rank != 2) throw Unsupported(n, "MatMul other than flat features times a weight matrix");
            var l = new LinearSpec(wt.Shape[1]) { Bias = false };
            Bind(l, "weight", w.Name, Transpose(wt));
            return l;
        }

        /// <summary>An Add of a constant right after a bias-free MatMul: that linear layer's bias.</summary>
        /// <summary>Add/Sub/Mul/Div of the computed value and a constant: a linear layer's bias (MatMul + Add of an
        /// initializer, as torch writes a Linear on more than two dims), or else an <see cref="AffineSpec"/> — the
        /// constant broadcast per channel ([C, 1, 1]) or feature ([F]), or a scalar — merged into an affine before it.</summary>
        private LayerSpec? Arithmetic(NodeProto n, List<LayerSpec> layers)
        {
            int computed = n.Input.Count(i => !_consts.ContainsKey(i));
            if (computed != 1)
                throw Unsupported(n, computed == 0 ? $"{n.OpType} of two constants" : $"{n.OpType} of two computed values (Nabla maps {(n.OpType == "Add" ? "an Add that is a residual sum or " : "")}{n.OpType} by a constant)");
            int ci = _consts.ContainsKey(n.Input[1]) ? 1 : 0;
            var t = Const(n, ci, "operand");
            if (n.OpType == "Add" && layers.Count > 0 && layers[^1] is LinearSpec { Bias: false } lin && OnnxTensors.Count(t, src) == lin.OutFeatures
                && g.Initializer.Any(i => i.Name == t.Name))
                return BiasAdd(n, t, lin, layers);
            var dims = t.Dims.SkipWhile(d => d == 1).ToArray();
            bool scalar = dims.All(d => d == 1), perChannel = _rank == 4 ? dims.Length == 3 && dims[1] == 1 && dims[2] == 1 : dims.Length == 1;
            if (!scalar && !perChannel)
                throw Unsupported(n, $"{n.OpType} by a constant of shape [{string.Join(", ", t.Dims)}] (Nabla maps constants that broadcast per {(_rank == 4 ? "channel: [C, 1, 1]" : "feature: [F]")} or a scalar)");
            double[] c = OnnxTensors.Floats(t, src, folder).Select(v => (double)v).ToArray();
            if (c.Length == 0 || c.Any(v => !double.IsFinite(v))) throw Unsupported(n, $"{n.OpType} by a constant that is empty or not finite");
            if (scalar) c = [c[0]];
            double[] one = [1.0], zero = [0.0];
            (double[] scale, double[] shift) = (n.OpType, ci) switch
            {
                ("Mul", _) => (c, zero),
                ("Add", _) => (one, c),
                ("Sub", 1) => (one, c.Select(v => -v).ToArray()),
                ("Sub", _) => ([-1.0], c),
                ("Div", 1) when c.All(v => v != 0) => (c.Select(v => 1 / v).ToArray(), zero),
                ("Div", 1) => throw Unsupported(n, "Div by a constant with a zero"),
                _ => throw Unsupported(n, "Div of a constant by a computed value"),
            };
            if (layers.Count > 0 && layers[^1] is AffineSpec before)
            {
                // (x·s1 + b1)·s2 + b2 = x·(s1·s2) + (b1·s2 + b2), per channel.
                int[] lengths = [before.Scale.Count, before.Shift.Count, scale.Length, shift.Length];
                int len = lengths.Max();
                double At(IReadOnlyList<double> v, int i) => v[v.Count == 1 ? 0 : i];
                if (lengths.All(k => k == 1 || k == len))
                {
                    var s2 = Enumerable.Range(0, len).Select(i => At(before.Scale, i) * At(scale, i)).ToArray();
                    var b2 = Enumerable.Range(0, len).Select(i => At(before.Shift, i) * At(scale, i) + At(shift, i)).ToArray();
                    if (s2.Concat(b2).All(double.IsFinite))
                    {
                        layers[^1] = new AffineSpec(s2, b2);
                        return null;
                    }
                }
            }
            return new AffineSpec(scale, shift);
        }

        private LayerSpec? BiasAdd(NodeProto n, TensorProto b, LinearSpec lin, List<LayerSpec> layers)
        {
            var bt = Weight(b);
            var with = lin with { Bias = true };
            var binds = _bind[lin];
            _bind.Remove(lin);
            _bind[with] = binds;
            Bind(with, "bias", b.Name, new Tensor(bt.Data, lin.OutFeatures));
            layers[^1] = with;
            return null;
        }

        private static Tensor Transpose(Tensor w)
        {
            int r = w.Shape[0], c = w.Shape[1];
            var d = new float[w.Numel];
            for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) d[j * r + i] = w.Data[i * c + j];
            return new Tensor(d, c, r);
        }

        private LayerSpec SoftmaxLayer(NodeProto n)
        {
            // Opset 13 made the axis a single axis; before, it flattened [axis, rank) into one, which is one axis only
            // when it is the last.
            long axis = SoftmaxAxis(n);
            if (axis < 1 || axis >= _rank || opset < 13 && axis != _rank - 1)
                throw Unsupported(n, $"{n.OpType} over axis {Int(n, "axis", opset >= 13 ? -1 : 1)} of a rank-{_rank} value at opset {opset}");
            return new SoftmaxSpec(n.OpType == "Softmax" ? LayerKind.Softmax : LayerKind.LogSoftmax) { Dim = (int)axis };
        }

        private LayerSpec MaxPool(NodeProto n, List<LayerSpec> layers)
        {
            if (n.Output.Count > 1 && n.Output[1].Length > 0) throw Unsupported(n, "MaxPool's indices output");
            var k = Pair(n, "kernel_shape", 1);
            var s = Pair(n, "strides", 1);
            var d = Pair(n, "dilations", 1);
            bool ceil = Int(n, "ceil_mode", 0) != 0;
            var (pads, rest) = Pads(n, k, s, d, double.NegativeInfinity); // a max pool's padding is never the max
            if (rest is not null && ceil) throw Unsupported(n, "MaxPool with asymmetric pads and ceil_mode");
            if (rest is not null) layers.Add(rest);
            return new MaxPool2dSpec(k) { Stride = s, Padding = pads, Dilation = d, CeilMode = ceil };
        }

        /// <param name="n">The AveragePool node.</param>
        /// <param name="extra">Zero padding of a Pad node folded in front (then the padded zeros count, as
        /// PyTorch's exporter writes count_include_pad=True).</param>
        /// <param name="layers">Where a pad layer for asymmetric pads goes, before the pool.</param>
        private LayerSpec AvgPool(NodeProto n, Size2 extra, List<LayerSpec> layers)
        {
            var k = Pair(n, "kernel_shape", 1);
            var s = Pair(n, "strides", 1);
            var (own, rest) = Pads(n, k, s, new Size2(1, 1));
            bool cip = Int(n, "count_include_pad", 0) != 0;
            if (rest is not null && (!cip || Int(n, "ceil_mode", 0) != 0))
                throw Unsupported(n, "AveragePool with asymmetric pads, unless count_include_pad=1 in floor mode (where the padding is zeros that count)");
            if (rest is not null) layers.Add(rest);
            if (Ints(n, "dilations") is { } dil && dil.Any(d => d != 1)) throw Unsupported(n, $"AveragePool with dilations [{string.Join(", ", dil)}]");
            if (extra != default && own != default && !cip) throw Unsupported(n, "a Pad in front of an AveragePool that pads without counting the padding");
            return new AvgPool2dSpec(k)
            {
                Stride = s, Padding = Plus(own, extra),
                CeilMode = Int(n, "ceil_mode", 0) != 0, CountIncludePad = cip || extra != default,
            };
        }

        /// <summary>A constant zero Pad of H and W only, folded into the Conv or AveragePool that alone consumes it
        /// (what PyTorch's exporter writes for AvgPool2d(count_include_pad=True) and F.pad before a conv).</summary>
        private string PadThen(NodeProto n, List<LayerSpec> layers)
        {
            string mode = Str(n, "mode", "constant");
            if (mode != "constant") throw Unsupported(n, $"Pad mode '{mode}'");
            var pads = n.Input.Count > 1 && n.Input[1].Length > 0 ? ShapeVector(n.Input[1]) : Ints(n, "pads");
            if (pads is null || pads.Length != 2 * _rank) throw Unsupported(n, "Pad with pads that are not a constant of twice the rank");
            float value = 0;
            if (n.Input.Count > 2 && n.Input[2].Length > 0)
                value = Weight(Const(n, 2, "constant value")).Data is [var v] ? v : throw Unsupported(n, "Pad with a constant value that is not one number");
            if (_rank != 4 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(p => p < 0 || p > 1 << 20))
                throw Unsupported(n, $"Pad [{string.Join(", ", pads)}] (Nabla pads H and W of [N, C, H, W], by non-negative amounts)");
            if (pads.All(p => p == 0)) return n.Output[0];
            var next = _consumers.TryGetValue(n.Output[0], out var c) ? c : [];
            if (pads[2] == pads[6] && pads[3] == pads[7] && value == 0 && next.Count == 1 && next[0].OpType is "Conv" or "AveragePool")
            {
                // A symmetric zero Pad in front of the one Conv or AveragePool that consumes it: that layer's padding.
                var extra = new Size2((int)pads[2], (int)pads[3]);
                CheckArity(next[0]);
                layers.Add(next[0].OpType == "Conv" ? Conv(next[0], extra, layers) : AvgPool(next[0], extra, layers));
                return next[0].Output[0];
            }
            layers.Add(new Pad2dSpec { Top = (int)pads[2], Left = (int)pads[3], Bottom = (int)pads[6], Right = (int)pads[7], Value = value });
            return n.Output[0];
        }

        /// <summary>An identity Transpose, or the Transpose→Softmax(last axis)→Transpose sandwich opsets before 13
        /// write for a softmax over channels.</summary>
        private string TransposeLayer(NodeProto n, List<LayerSpec> layers)
        {
            var perm = Ints(n, "perm") ?? Enumerable.Range(0, _rank).Reverse().Select(i => (long)i).ToArray();
            if (perm.Select((p, i) => p == i).All(x => x)) return n.Output[0];
            bool swap = perm.Length == _rank && _rank > 2 && perm[1] == _rank - 1 && perm[^1] == 1
                && perm.Select((p, i) => i == 1 || i == _rank - 1 || p == i).All(x => x);
            var sm = _consumers.TryGetValue(n.Output[0], out var c1) && c1.Count == 1 ? c1[0] : null;
            var back = sm is not null && _consumers.TryGetValue(sm.Output[0], out var c2) && c2.Count == 1 ? c2[0] : null;
            if (swap && sm?.OpType is "Softmax" or "LogSoftmax" && back?.OpType == "Transpose"
                && (Ints(back, "perm") ?? []).SequenceEqual(perm) && SoftmaxAxis(sm) == _rank - 1)
            {
                layers.Add(new SoftmaxSpec(sm.OpType == "Softmax" ? LayerKind.Softmax : LayerKind.LogSoftmax) { Dim = 1 });
                return back.Output[0];
            }
            throw Unsupported(n, $"Transpose [{string.Join(", ", perm)}] (Nabla keeps NCHW: only the identity, or around a softmax over channels)");
        }

        private long SoftmaxAxis(NodeProto n)
        {
            long axis = Int(n, "axis", opset >= 13 ? -1 : 1);
            return axis < 0 ? axis + _rank : axis;
        }

        private LayerSpec BatchNorm(NodeProto n)
        {
            if (n.Output.Count > 1 && n.Output.Skip(1).Any(o => o.Length > 0)) throw Unsupported(n, "BatchNormalization in training mode (running statistics outputs)");
            var scale = Const(n, 1, "scale");
            var bias = Const(n, 2, "bias");
            var mean = Const(n, 3, "mean");
            var var_ = Const(n, 4, "variance");
            BatchNormSpec l = _rank == 4 ? new BatchNorm2dSpec() : new BatchNorm1dSpec();
            l = l with { Eps = Float(n, "epsilon", 1e-5f), Momentum = Math.Round(1 - Float(n, "momentum", 0.9f), 6) };
            Bind(l, "weight", scale.Name, Weight(scale));
            Bind(l, "bias", bias.Name, Weight(bias));
            Bind(l, "running_mean", mean.Name, Weight(mean));
            Bind(l, "running_var", var_.Name, Weight(var_));
            string nbt = scale.Name.EndsWith(".weight", StringComparison.Ordinal) ? scale.Name[..^7] + ".num_batches_tracked" : scale.Name + ".num_batches_tracked";
            Bind(l, "num_batches_tracked", nbt, new Tensor([0f], []));
            return l;
        }

        private LayerSpec FlattenLayer(NodeProto n)
        {
            if (Int(n, "axis", 1) != 1) throw Unsupported(n, $"Flatten with axis {Int(n, "axis", 1)} (Nabla flattens from axis 1)");
            return new FlattenSpec();
        }

        /// <summary>A Reshape to [N, -1] (a constant, or the Shape→Gather→Unsqueeze→Concat chain): a flatten.</summary>
        private LayerSpec? ReshapeLayer(NodeProto n)
        {
            var target = ShapeVector(n.Input[1]);
            if (Int(n, "allowzero", 0) != 0 && target is not null && target.Contains(0)) throw Unsupported(n, "Reshape with allowzero=1 and a 0 in the shape");
            if (target is [_, -1] || target is [var b, _] && b <= 0 && _rank == 2)
                return _rank == 2 ? null : new FlattenSpec();
            if (target is [0 or -2, > 0] && _rank != 2) return new FlattenSpec();
            throw Unsupported(n, $"Reshape to [{string.Join(", ", target?.Select(t => t == -2 ? "N" : t.ToString(CultureInfo.InvariantCulture)) ?? ["?"])}] (Nabla reshapes only to [N, -1], a flatten)");
        }

        /// <summary>The value of a shape input: constants as they are, the batch size taken from Shape as -2; null when unknown.
        /// The producers it walks (Concat, Unsqueeze, Cast, Gather, Shape) are not layers, so their input counts are checked
        /// here, and the walk is bounded (a cycle or a huge chain is "unknown", reported by the caller).</summary>
        private long[]? ShapeVector(string v)
        {
            int budget = 1024;
            return ShapeVector(v, ref budget);
        }

        private long[]? ShapeVector(string v, ref int budget)
        {
            if (_consts.TryGetValue(v, out var t)) return OnnxTensors.Int64s(t, src, folder);
            if (--budget < 0 || !_producer.TryGetValue(v, out var p)) return null;
            switch (p.OpType)
            {
                case "Concat":
                    var parts = new List<long>();
                    foreach (var x in p.Input)
                    {
                        if (ShapeVector(x, ref budget) is not { } part) return null;
                        parts.AddRange(part);
                    }
                    return parts.Count == 0 ? null : parts.ToArray();
                case "Unsqueeze" when p.Input.Count >= 1:
                    return ShapeVector(p.Input[0], ref budget) is [var s] ? [s] : null;
                case "Cast" when p.Input.Count == 1:
                    return ShapeVector(p.Input[0], ref budget);
                case "Gather" when p.Input.Count == 2:
                    if (_producer.TryGetValue(p.Input[0], out var sh) && sh.OpType == "Shape" && _consts.TryGetValue(p.Input[1], out var idx)
                        && OnnxTensors.Int64s(idx, src, folder) is [0]) return [-2];
                    return null;
                default:
                    return null;
            }
        }

        /// <summary>Replaces each exact GELU that exporters without a Gelu operator write (torch.onnx.export before opset
        /// 20: <c>Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)</c>, Mul operands in either order, or <c>Mul(x, 1/√2)</c> for the
        /// Div) by one Gelu node, so that the fork on x is not taken for a branch.</summary>
        private void FuseErfGelu()
        {
            var users = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
            foreach (var n in g.Node)
                foreach (var i in n.Input.Distinct())
                    (users.TryGetValue(i, out var l) ? l : users[i] = []).Add(n);
            NodeProto? Only(string v, string op) =>
                users.TryGetValue(v, out var l) && l.Count == 1 && l[0].OpType == op && l[0].Domain is "" or "ai.onnx"
                    && l[0].Output.Count == 1 && l[0].Output[0].Length > 0 ? l[0] : null;
            bool Scalar(string v, double want) =>
                _consts.TryGetValue(v, out var t) && OnnxTensors.Count(t, src) == 1
                && Math.Abs(OnnxTensors.Floats(t, src, folder)[0] - want) <= 1e-6 * want;
            // The operand of a binary node other than `mine`, or null when the node is not binary over it.
            static string? Other(NodeProto n, string mine) =>
                n.Input.Count != 2 ? null : n.Input[0] == mine ? n.Input[1] : n.Input[1] == mine ? n.Input[0] : null;

            var fused = new List<(NodeProto[] Removed, NodeProto Gelu)>();
            foreach (var erf in g.Node.Where(n => n.OpType == "Erf" && n.Input.Count == 1 && n.Output.Count == 1).ToList())
            {
                if (!_producer.TryGetValue(erf.Input[0], out var scale) || scale.Input.Count != 2 || scale.Output.Count != 1) continue;
                string x = scale.Input[0];
                if (!(scale.OpType == "Div" && Scalar(scale.Input[1], Math.Sqrt(2)) || scale.OpType == "Mul" && Scalar(scale.Input[1], Math.Sqrt(0.5))))
                    continue;
                if (Only(scale.Output[0], "Erf") != erf || Only(erf.Output[0], "Add") is not { } add || Other(add, erf.Output[0]) is not { } one
                    || !Scalar(one, 1) || Only(add.Output[0], "Mul") is not { } mul || Other(mul, add.Output[0]) != x
                    || Only(mul.Output[0], "Mul") is not { } half || Other(half, mul.Output[0]) is not { } h || !Scalar(h, 0.5))
                    continue;
                var gelu = new NodeProto { Name = mul.Name, OpType = "Gelu", Input = { x }, Output = { half.Output[0] } };
                fused.Add(([scale, erf, add, mul, half], gelu));
            }
            foreach (var (removed, gelu) in fused)
            {
                int at = g.Node.IndexOf(removed[0]);
                foreach (var r in removed)
                {
                    g.Node.Remove(r);
                    foreach (var o in r.Output) _producer.Remove(o);
                }
                g.Node.Insert(Math.Min(at, g.Node.Count), gelu);
                _producer[gelu.Output[0]] = gelu;
            }
        }

        private LayerSpec ClipLayer(NodeProto n)
        {
            float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
            if (opset < 11) { lo = Float(n, "min", lo); hi = Float(n, "max", hi); }
            if (n.Input.Count > 1 && n.Input[1].Length > 0) lo = Weight(Const(n, 1, "min")).Data[0];
            if (n.Input.Count > 2 && n.Input[2].Length > 0) hi = Weight(Const(n, 2, "max")).Data[0];
            if (lo == 0 && float.IsPositiveInfinity(hi)) return new ActivationSpec(LayerKind.ReLU);
            if (lo == 0 && hi == 6) return new ActivationSpec(LayerKind.ReLU6);
            throw Unsupported(n, $"Clip to [{lo.ToString(CultureInfo.InvariantCulture)}, {hi.ToString(CultureInfo.InvariantCulture)}] (Nabla maps Clip(0, inf), a ReLU, and Clip(0, 6), a ReLU6)");
        }
    }
}
