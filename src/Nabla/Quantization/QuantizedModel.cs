using Nabla.Autograd;
using Nabla.Kernels.Quant;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Quantization;

/// <summary>
/// int8 inference of a sequential conv/linear network (post-training quantisation, as PyTorch's fbgemm backend and
/// ONNX Runtime do it): the input is quantised to u8, every conv2d and linear runs as an u8×s8→s32 GEMM
/// (<see cref="QGemm"/>) with per-output-channel symmetric int8 weights and its ReLU and requantisation fused, ReLU and
/// max pooling work on u8 codes, and the last conv/linear writes float logits. Activations are NHWC inside.
/// </summary>
/// <remarks>
/// Supported layers: conv2d (groups 1, dilation 1), linear, relu, maxpool2d (floor mode, dilation 1), dropout and
/// flatten; after the last conv/linear, any layers run in FP32 (softmax, logsoftmax). Forward reuses its buffers, so
/// one instance serves one caller at a time. It is an inference-only <see cref="Module"/>: it has no parameters and
/// records no gradient.
/// </remarks>
public sealed class QuantizedModel : Module
{
    private readonly List<QStep> _steps;
    private readonly List<Module> _tail;
    private readonly int[] _inputShape; // per sample: [C, H, W] or [F]
    private readonly QAct _input;
    private readonly int _classes;
    private byte[] _a = [], _b = [];

    /// <summary>The quantisation this model runs with (for export).</summary>
    public QuantParams Params { get; }

    private QuantizedModel(List<QStep> steps, List<Module> tail, int[] inputShape, QuantParams p, int classes)
    {
        _steps = steps; _tail = tail; _inputShape = inputShape; _input = p.Input; Params = p; _classes = classes;
    }

    /// <summary>Calibrates activation ranges by running <paramref name="model"/> in FP32 evaluation mode on
    /// <paramref name="batches"/> (min and max over all of them at every quantisation point), quantises the weights per
    /// output channel and builds the int8 model.</summary>
    /// <exception cref="NablaInputException">A layer is not supported, or no calibration batch was given.</exception>
    public static QuantizedModel Quantize(Sequential model, IEnumerable<Tensor> batches)
    {
        var layers = model.Layers;
        var min = new float[layers.Count + 1];
        var max = new float[layers.Count + 1];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        int[]? shape = null;
        bool wasTraining = model.Training;
        model.Eval();
        using (GradMode.NoGrad())
            foreach (var batch in batches)
            {
                shape ??= batch.Shape[1..];
                using var scope = StepScope.Begin();
                var x = batch;
                Track(x, ref min[0], ref max[0]);
                for (int i = 0; i < layers.Count; i++)
                {
                    x = layers[i].Forward(x);
                    Track(x, ref min[i + 1], ref max[i + 1]);
                }
            }
        model.Train(wasTraining);
        if (shape is null) throw new NablaInputException("int8 quantisation: no calibration batch");

        int last = LastCompute(layers);
        var qp = new Dictionary<string, QLayerParams>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
        {
            string name = Name(i);
            if (layers[i] is not (Conv2d or Linear)) continue;
            var (weight, bias, outCh) = layers[i] is Conv2d c ? (c.Weight, c.Bias, c.OutChannels) : (((Linear)layers[i]).Weight, ((Linear)layers[i]).Bias, ((Linear)layers[i]).OutFeatures);
            var (q, s) = QLayerParams.QuantizeWeights(weight.Data.AsSpan(0, weight.Numel), outCh);
            int point = i + 1 < layers.Count && layers[i + 1] is ReLU ? i + 2 : i + 1;
            QAct? output = i == last ? null : QAct.FromRange(min[point], max[point]);
            qp[name] = new QLayerParams(name, q, s, bias is null ? new float[outCh] : bias.Data.AsSpan(0, outCh).ToArray(), output) { Shape = weight.Shape };
        }
        return Build(model, new QuantParams(QAct.FromRange(min[0], max[0]), qp), shape);
    }

    private static void Track(Tensor t, ref float min, ref float max)
    {
        foreach (float v in t.Data.AsSpan(0, t.Numel)) { if (v < min) min = v; if (v > max) max = v; }
    }

    private static string Name(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int LastCompute(IReadOnlyList<Module> layers)
    {
        for (int i = layers.Count - 1; i >= 0; i--) if (layers[i] is Conv2d or Linear) return i;
        throw new NablaInputException("int8 quantisation: the model has no conv2d or linear layer");
    }

    /// <summary>Builds the int8 pipeline of <paramref name="model"/>'s architecture with the given quantisation, for
    /// samples of shape <paramref name="inputShape"/> ([C, H, W] or [F]).</summary>
    /// <exception cref="NablaInputException">A layer is unsupported or a layer's parameters are missing or mis-sized.</exception>
    public static QuantizedModel Build(Sequential model, QuantParams p, int[] inputShape)
    {
        var layers = model.Layers;
        int last = LastCompute(layers);
        var steps = new List<QStep>();
        var shape = inputShape.Length == 3 ? (H: inputShape[1], W: inputShape[2], C: inputShape[0]) : (H: 1, W: 1, C: inputShape[0]);
        bool flat = inputShape.Length != 3;
        (int H, int W, int C) flattenedFrom = default; // the NHWC shape a flatten saw, for the next linear's column order
        bool flattened = false;
        var act = p.Input;
        for (int i = 0; i <= last; i++)
        {
            var l = layers[i];
            string name = Name(i);
            switch (l)
            {
                case Conv2d c:
                {
                    if (flat) throw Unsupported(name, "conv2d after flatten");
                    if (c.Options.Groups != 1 || c.Options.Dilation != (1, 1)) throw Unsupported(name, "conv2d with groups or dilation");
                    if (c.InChannels != shape.C) throw Unsupported(name, $"conv2d expects {c.InChannels} channels, the input has {shape.C}");
                    var lp = Layer(p, name, c.OutChannels, c.Weight.Numel);
                    var g = new QWindow(shape.H, shape.W, shape.C, c.KernelSize.h, c.KernelSize.w, c.Options.Stride.h, c.Options.Stride.w,
                        c.Options.Padding.h, c.Options.Padding.w);
                    // PyTorch's [O, C, KH, KW] to the im2col row order (kh, kw, c).
                    var w = new sbyte[lp.Weight.Length];
                    int kh = g.KH, kw = g.KW, ci = g.C;
                    for (int o = 0; o < c.OutChannels; o++)
                        for (int ch = 0; ch < ci; ch++)
                            for (int y = 0; y < kh; y++)
                                for (int x = 0; x < kw; x++)
                                    w[((o * kh + y) * kw + x) * ci + ch] = lp.Weight[((o * ci + ch) * kh + y) * kw + x];
                    var next = (g.OH, g.OW, c.OutChannels);
                    if (i == last && g.OH * g.OW > 1) throw Unsupported(name, "a conv2d with a spatial output as the last layer");
                    var qw = QWeights.Pack(w, c.OutChannels, g.K, g.KH); // one segment per kernel row: read from the padded image
                    var (bias, mult) = Requant(lp, act, qw);
                    bool convRelu = i + 1 <= last && layers[i + 1] is ReLU;
                    steps.Add(new QConvStep { Label = $"{name} conv2d {c.InChannels}→{c.OutChannels} {kh}x{kw}{(convRelu ? " +relu" : "")}", In = shape, Out = next, Geometry = g, Weights = qw, Bias32 = bias, Multiplier = mult,
                        InputAct = act, OutputAct = lp.Output });
                    shape = next;
                    act = lp.Output ?? act;
                    if (i + 1 <= last && layers[i + 1] is ReLU) i++;
                    break;
                }
                case Linear lin:
                {
                    int features = shape.H * shape.W * shape.C;
                    if (lin.InFeatures != features) throw Unsupported(name, $"linear expects {lin.InFeatures} features, the input has {features}");
                    var lp = Layer(p, name, lin.OutFeatures, lin.Weight.Numel);
                    var w = lp.Weight;
                    if (flattened && (flattenedFrom.H > 1 || flattenedFrom.W > 1))
                    {
                        // PyTorch flattens (c, h, w); the int8 path flattens NHWC (h, w, c): permute the columns.
                        var (fh, fw, fc) = flattenedFrom;
                        w = new sbyte[lp.Weight.Length];
                        for (int o = 0; o < lin.OutFeatures; o++)
                            for (int ch = 0; ch < fc; ch++)
                                for (int y = 0; y < fh; y++)
                                    for (int x = 0; x < fw; x++)
                                        w[o * features + (y * fw + x) * fc + ch] = lp.Weight[o * features + (ch * fh + y) * fw + x];
                    }
                    var qw = QWeights.Pack(w, lin.OutFeatures, features);
                    var (bias, mult) = Requant(lp, act, qw);
                    var next = (1, 1, lin.OutFeatures);
                    bool linRelu = i + 1 <= last && layers[i + 1] is ReLU;
                    steps.Add(new QLinearStep { Label = $"{name} linear {features}→{lin.OutFeatures}{(linRelu ? " +relu" : "")}", In = shape, Out = next, Weights = qw, Bias32 = bias, Multiplier = mult, OutputAct = lp.Output });
                    shape = next; flat = true; flattened = false;
                    act = lp.Output ?? act;
                    if (i + 1 <= last && layers[i + 1] is ReLU) i++;
                    break;
                }
                case MaxPool2d mp:
                {
                    if (flat) throw Unsupported(name, "maxpool2d after flatten");
                    if (mp.CeilMode || mp.Dilation != (1, 1)) throw Unsupported(name, "maxpool2d with ceil_mode or dilation");
                    var g = new QWindow(shape.H, shape.W, shape.C, mp.KernelSize.h, mp.KernelSize.w, mp.Stride.h, mp.Stride.w, mp.Padding.h, mp.Padding.w);
                    var next = (g.OH, g.OW, shape.C);
                    steps.Add(new QMaxPoolStep { Label = $"{name} maxpool2d {g.KH}x{g.KW}", In = shape, Out = next, Geometry = g });
                    shape = next;
                    break;
                }
                case ReLU:
                    steps.Add(new QReluStep { Label = $"{name} relu", In = shape, Out = shape, ZeroPoint = (byte)act.ZeroPoint });
                    break;
                case Flatten f when f.StartDim == 1:
                    if (!flat) { flattenedFrom = shape; flattened = true; }
                    shape = (1, 1, shape.H * shape.W * shape.C); flat = true;
                    break;
                case Dropout or Identity:
                    break;
                default:
                    throw Unsupported(name, l.GetType().Name.ToLowerInvariant());
            }
        }
        var tail = new List<Module>();
        for (int i = last + 1; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d or Linear or MaxPool2d) throw Unsupported(Name(i), "after the last compute layer");
            tail.Add(layers[i]);
        }
        return new QuantizedModel(steps, tail, inputShape, p, steps[^1].OutSize);
    }

    private static NablaInputException Unsupported(string name, string what) =>
        new($"int8 quantisation: layer {name}: {what} is not supported (supported: conv2d, linear, relu, maxpool2d, dropout, flatten)");

    private static QLayerParams Layer(QuantParams p, string name, int outChannels, int weights)
    {
        if (!p.Layers.TryGetValue(name, out var lp)) throw new NablaInputException($"int8 quantisation: no parameters for layer {name}");
        if (lp.Weight.Length != weights || lp.WeightScale.Length != outChannels || lp.Bias.Length != outChannels)
            throw new NablaInputException($"int8 quantisation: layer {name}: expected {weights} weights and {outChannels} scales and biases, " +
                $"found {lp.Weight.Length}, {lp.WeightScale.Length} and {lp.Bias.Length}");
        return lp;
    }

    /// <summary>bias32 = round(b / (s_x·s_w)) − z_x·Σ_k W (the input zero point's share), multiplier = s_x·s_w / s_y
    /// (or s_x·s_w for float output).</summary>
    private static (int[] Bias, float[] Mult) Requant(QLayerParams lp, QAct input, QWeights w)
    {
        int n = w.N;
        var bias = new int[n];
        var mult = new float[n];
        for (int o = 0; o < n; o++)
        {
            double sxw = (double)input.Scale * lp.WeightScale[o];
            bias[o] = (int)Math.Clamp(Math.Round(lp.Bias[o] / sxw), int.MinValue / 2, int.MaxValue / 2) - input.ZeroPoint * w.RowSums[o];
            mult[o] = (float)(lp.Output is { } y ? sxw / y.Scale : sxw);
        }
        return (bias, mult);
    }

    /// <summary>Logits [N, classes] of a float batch [N, C, H, W] (or [N, F]).</summary>
    /// <exception cref="ArgumentException">The sample shape differs from the one the model was built for.</exception>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>Logits of a float batch, as <see cref="Forward(Tensor)"/>, calling <paramref name="lap"/> after each stage
    /// with its label ("quantize input", then each step's, e.g. "0 conv2d 1→6 5x5 +relu", then "float tail") so a
    /// caller can time the stages (<c>nabla bench --profile --precision int8</c>).</summary>
    /// <exception cref="ArgumentException">The sample shape differs from the one the model was built for.</exception>
    public Tensor Forward(Tensor x, Action<string>? lap)
    {
        if (!x.Shape.AsSpan(1).SequenceEqual(_inputShape))
            throw new ArgumentException($"int8 model built for samples [{string.Join(", ", _inputShape)}], got [{string.Join(", ", x.Shape[1..])}]", nameof(x));
        int n = x.Shape[0];
        int sample = x.Numel / Math.Max(n, 1);
        var (c, h, w) = _inputShape.Length == 3 ? (_inputShape[0], _inputShape[1], _inputShape[2]) : (_inputShape[0], 1, 1);
        int inStride = QWeights.PadK(sample);
        Ensure(ref _a, n * inStride);
        Kernels.Workers.Run(n, (x.Data, sample, c, h, w, _input, _a, inStride), static (s, i) =>
        {
            var (data, sample, c, h, w, input, a, inStride) = s;
            QOps.Quantize(data.AsSpan(i * sample, sample), c, h, w, input.Scale, input.ZeroPoint, a.AsSpan(i * inStride, sample));
        });
        lap?.Invoke("quantize input");
        var logits = new float[n * _classes];
        byte[] src = _a, dst = _b;
        foreach (var step in _steps)
        {
            bool isLast = ReferenceEquals(step, _steps[^1]);
            if (!isLast) Ensure(ref dst, n * step.OutStride);
            step.Run(n, src, inStride, dst, isLast ? logits : null);
            lap?.Invoke(step.Label);
            inStride = step.OutStride;
            (src, dst) = (dst, src);
        }
        (_a, _b) = (src, dst);
        var result = new Tensor(logits, n, _classes);
        foreach (var m in _tail) result = m.Forward(result);
        if (_tail.Count > 0) lap?.Invoke("float tail");
        return result;
    }

    private static void Ensure(ref byte[] buffer, int size)
    {
        if (buffer.Length < size) buffer = new byte[size];
    }
}
