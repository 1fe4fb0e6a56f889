using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Autograd.Reference;

/// <summary>
/// An independent float64 interpreter of a model's forward pass: every built-in layer and container
/// (<see cref="Conv2d"/>, <see cref="Linear"/>, max/average/adaptive pooling, BatchNorm 1d/2d in training and
/// evaluation mode, every activation, softmax/log-softmax, flatten, identity, dropout when inactive,
/// <see cref="Sequential"/>, <see cref="Concat"/>, <see cref="Residual"/>) and any module implementing
/// <see cref="IReferenceModule"/>, computed with naive loops from the float32 model's parameters widened to float64.
/// </summary>
/// <remarks>
/// <see cref="GradCheck"/> uses it for finite differences free of float32 rounding. The parameters are copied
/// once at construction; <see cref="Value"/> returns the mutable float64 copy, which the check perturbs.
/// When the model is a <see cref="Sequential"/>, <see cref="Forward"/> remembers each top-level layer's input so
/// that <see cref="ForwardFrom"/> recomputes only from the layer that owns a perturbed parameter.
/// BatchNorm's running statistics are read, never updated.
/// </remarks>
public sealed class ReferenceForward
{
    private readonly Dictionary<Tensor, DoubleTensor> _values = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, int> _stageOf = new(ReferenceEqualityComparer.Instance);
    private readonly IReadOnlyList<Module> _stages;
    private readonly DoubleTensor?[] _stageInputs;

    /// <summary>Prepares the interpreter for <paramref name="model"/> in its current train/eval mode.</summary>
    /// <exception cref="NotSupportedException">A module has no float64 twin (see <see cref="FindUnsupported"/>),
    /// or a dropout layer is active (training mode with p &gt; 0: a random mask has no derivative to check).</exception>
    public ReferenceForward(Module model)
    {
        if (FindUnsupported(model) is { } what) throw new NotSupportedException($"no float64 reference for {what}");
        foreach (var (_, t) in model.NamedParameters()) _values[t] = DoubleTensor.From(t);
        foreach (var (_, t) in model.NamedBuffers()) _values[t] = DoubleTensor.From(t);
        _stages = model is Sequential s ? s.Layers : [model];
        for (int i = 0; i < _stages.Count; i++)
            foreach (var p in _stages[i].Parameters()) _stageOf[p] = i;
        _stageInputs = new DoubleTensor?[_stages.Count + 1];
    }

    /// <summary>The first module (by name and type) the interpreter cannot run, or null when it can run them all.</summary>
    /// <param name="model">The model, in the mode it will be checked in.</param>
    public static string? FindUnsupported(Module model)
    {
        foreach (var (name, m) in model.NamedModules())
        {
            string where = name.Length == 0 ? m.GetType().Name : $"'{name}' ({m.GetType().Name})";
            if (m is Dropout d && d.Training && d.P > 0) return $"{where}: dropout is active (training mode, p = {d.P})";
            if (m is IReferenceModule or Sequential or Concat or Residual or Conv2d or Linear or MaxPool2d or AvgPool2d
                or AdaptiveAvgPool2d or BatchNorm or ReLU or ReLU6 or ELU or GELU or Affine or Pad2d or LeakyReLU or Sigmoid or Tanh or Softmax or LogSoftmax or Flatten
                or Identity or Dropout) continue;
            return where;
        }
        return null;
    }

    /// <summary>The float64 value of a parameter or buffer of the model (a mutable copy made at construction).</summary>
    /// <exception cref="KeyNotFoundException">The tensor is not a parameter or buffer of the model.</exception>
    public DoubleTensor Value(Tensor t) =>
        _values.TryGetValue(t, out var v) ? v : throw new KeyNotFoundException($"tensor {ShapeUtil.Format(t.Shape)} is not a parameter or buffer of the model");

    /// <summary>The model's output for <paramref name="x"/>; remembers the input of every top-level layer.</summary>
    public DoubleTensor Forward(DoubleTensor x)
    {
        for (int i = 0; i < _stages.Count; i++)
        {
            _stageInputs[i] = x;
            x = Run(_stages[i], x);
        }
        _stageInputs[^1] = x;
        return x;
    }

    /// <summary>The model's output after a change to <paramref name="parameter"/>'s float64 value, recomputed from
    /// the top-level layer that owns it, on the inputs remembered by the last <see cref="Forward"/>.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Forward"/> has not run.</exception>
    public DoubleTensor ForwardFrom(Tensor parameter)
    {
        int first = _stageOf.TryGetValue(parameter, out var s) ? s : 0;
        var x = _stageInputs[first] ?? throw new InvalidOperationException("ReferenceForward.ForwardFrom: call Forward first");
        for (int i = first; i < _stages.Count; i++) x = Run(_stages[i], x);
        return x;
    }

    private DoubleTensor? Opt(Tensor? t) => t is null ? null : Value(t);

    private DoubleTensor Run(Module m, DoubleTensor x)
    {
        switch (m)
        {
            case IReferenceModule r: return r.ReferenceForward(x, Value);
            case Sequential s:
                foreach (var l in s.Layers) x = Run(l, x);
                return x;
            case Concat c: return ReferenceOps.CatChannels(c.Branches.Select(b => Run(b, x)).ToList());
            case Residual r:
                var y = x;
                foreach (var l in r.Body) y = Run(l, y);
                return ReferenceOps.Add(y, r.Shortcut is null ? x : Run(r.Shortcut, x));
            case Conv2d c:
                return ReferenceOps.Conv2d(x, Value(c.Weight), Opt(c.Bias), c.Options.Stride, c.Options.Padding, c.Options.Dilation, c.Options.Groups);
            case Linear l: return ReferenceOps.Linear(x, Value(l.Weight), Opt(l.Bias));
            case MaxPool2d p: return ReferenceOps.MaxPool2d(x, p.KernelSize, p.Stride, p.Padding, p.Dilation, p.CeilMode);
            case AvgPool2d p: return ReferenceOps.AvgPool2d(x, p.KernelSize, p.Stride, p.Padding, p.CountIncludePad, p.CeilMode);
            case AdaptiveAvgPool2d p: return ReferenceOps.AdaptiveAvgPool2d(x, p.OutputSize);
            case BatchNorm b:
                return ReferenceOps.BatchNorm(x, Value(b.RunningMean).Data, Value(b.RunningVar).Data, Opt(b.Weight)?.Data, Opt(b.Bias)?.Data, b.Training, b.Eps);
            case ReLU: return ReferenceOps.Map(x, v => v > 0 ? v : 0);
            case ReLU6: return ReferenceOps.Map(x, v => v > 0 ? (v < 6 ? v : 6) : 0);
            case ELU e:
                double alpha = e.Alpha;
                return ReferenceOps.Map(x, v => v > 0 ? v : alpha * (Math.Exp(v) - 1));
            case GELU: return ReferenceOps.Map(x, Ops.F.GeluOf);
            case Pad2d pad:
            {
                int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = h + pad.Top + pad.Bottom, ow = w + pad.Left + pad.Right;
                var ys = Enumerable.Repeat((double)pad.Value, n * c * oh * ow).ToArray();
                for (int p = 0; p < n * c; p++)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j++)
                            ys[(p * oh + i + pad.Top) * ow + j + pad.Left] = x.Data[(p * h + i) * w + j];
                return new DoubleTensor([n, c, oh, ow], ys);
            }
            case Affine f:
            {
                int c = x.Shape[1], plane = x.Data.Length / Math.Max(1, x.Shape[0] * c);
                var ys = new double[x.Data.Length];
                for (int i = 0; i < ys.Length; i++)
                {
                    int ch = i / plane % c;
                    ys[i] = x.Data[i] * f.Scale[f.Scale.Length == 1 ? 0 : ch] + f.Shift[f.Shift.Length == 1 ? 0 : ch];
                }
                return new DoubleTensor((int[])x.Shape.Clone(), ys);
            }
            case LeakyReLU l:
                double slope = l.NegativeSlope;
                return ReferenceOps.Map(x, v => v > 0 ? v : slope * v);
            case Sigmoid: return ReferenceOps.Map(x, v => 1 / (1 + Math.Exp(-v)));
            case Tanh: return ReferenceOps.Map(x, Math.Tanh);
            case Softmax s: return ReferenceOps.Softmax(x, s.Dim, log: false);
            case LogSoftmax s: return ReferenceOps.Softmax(x, s.Dim, log: true);
            case Flatten f:
                int start = ShapeUtil.NormDim(f.StartDim, x.Rank);
                return x.Reshape([.. x.Shape.Take(start), x.Shape.Skip(start).Aggregate(1, (a, b) => a * b)]);
            case Identity: return x;
            case Dropout d when !d.Training || d.P == 0: return x;
            default: throw new NotSupportedException($"no float64 reference for {m.GetType().Name}");
        }
    }
}
