using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Analysis;

/// <summary>
/// Folds inference-mode BatchNorm into the convolution or linear layer right before it: the usual
/// deployment transform. The folded model computes the same evaluation-mode function with one layer fewer
/// per pair.
/// </summary>
/// <remarks>
/// <para>For a conv2d (or linear) with weight W and bias b (0 when it has none) followed by a BatchNorm with
/// γ, β (1 and 0 when not affine), running mean μ and running variance σ², and s = γ/√(σ² + ε) per output
/// channel: W′[o] = W[o]·s[o] and b′[o] = (b[o] − μ[o])·s[o] + β[o]. The BatchNorm is replaced by an
/// <see cref="Identity"/>.</para>
/// <para>Names: the model keeps the original module tree, so every name stays what it was. A folded conv2d
/// or linear keeps its <c>weight</c> name and always has a <c>bias</c> (gained when it had none); the folded
/// BatchNorm's five entries (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>,
/// <c>num_batches_tracked</c>) disappear, since an Identity owns nothing. So a folded state dict loads into
/// <c>Fold(ModelFactory.Build(spec, ...))</c> for the original spec.</para>
/// <para>Pairs are found in every <see cref="Sequential"/> and every <see cref="Residual"/> body, at any
/// nesting depth (concat branches, residual bodies and shortcuts). Only a conv2d followed by a batchnorm2d
/// and a linear followed by a batchnorm1d over the same number of features are folded (a linear's output
/// is (N, out_features) in every spec model); other BatchNorms stay. Folding uses the running statistics,
/// so the folded model matches the original in evaluation mode only.</para>
/// </remarks>
public static class BatchNormFolding
{
    /// <summary>Returns a new model with every conv2d+batchnorm2d and linear+batchnorm1d pair folded.
    /// The original is not modified and shares no tensor with the result; computations are in float64.</summary>
    /// <param name="model">A model as <see cref="IO.ModelFactory"/> builds it (containers and the built-in layers).</param>
    /// <returns>The folded model, in evaluation mode.</returns>
    /// <exception cref="NotSupportedException">The model holds a module type this class cannot copy.</exception>
    public static Sequential Fold(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folded = (Sequential)Copy(model);
        folded.Eval();
        return folded;
    }

    /// <summary>The names (state-dict prefixes, e.g. <c>"3.1.1"</c>) of the BatchNorm layers that
    /// <see cref="Fold"/> folds into the layer before them.</summary>
    public static IReadOnlyList<string> FoldedNames(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new List<string>();
        Walk(model, "", names);
        return names;
    }

    private static void Walk(Module m, string prefix, List<string> names)
    {
        var layers = LayerList(m);
        if (layers is not null)
            for (int i = 1; i < layers.Count; i++)
                if (CanFold(layers[i - 1], layers[i])) names.Add(Join(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var (n, child) in m.Children) Walk(child, Join(prefix, n), names);
    }

    private static IReadOnlyList<Module>? LayerList(Module m) => m switch
    {
        Sequential s => s.Layers,
        Residual r => r.Body,
        _ => null,
    };

    private static bool CanFold(Module prev, Module next) => (prev, next) switch
    {
        (Conv2d c, BatchNorm2d b) => c.OutChannels == b.NumFeatures,
        (Linear l, BatchNorm1d b) => l.OutFeatures == b.NumFeatures,
        _ => false,
    };

    private static Module Copy(Module m) => m switch
    {
        Sequential s => new Sequential(CopyChain(s.Layers).ToArray()),
        Residual r => new Residual(CopyChain(r.Body), r.Shortcut is null ? null : Copy(r.Shortcut)),
        Concat c => new Concat(c.Branches.Select(Copy).ToArray()),
        _ => CopyLeaf(m),
    };

    private static List<Module> CopyChain(IReadOnlyList<Module> layers)
    {
        var list = new List<Module>(layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            if (i + 1 < layers.Count && CanFold(layers[i], layers[i + 1]))
            {
                list.Add(FoldPair(layers[i], (BatchNorm)layers[i + 1]));
                list.Add(new Identity());
                i++;
            }
            else list.Add(Copy(layers[i]));
        }
        return list;
    }

    private static Module FoldPair(Module layer, BatchNorm bn)
    {
        Module result;
        Tensor weight, bias, srcWeight; Tensor? srcBias;
        if (layer is Conv2d c)
        {
            var conv = new Conv2d(c.InChannels, c.OutChannels, c.KernelSize, c.Options.Stride, c.Options.Padding, c.Options.Dilation,
                c.Options.Groups, bias: true, rng: new Rng(0));
            (result, weight, bias, srcWeight, srcBias) = (conv, conv.Weight, conv.Bias!, c.Weight, c.Bias);
        }
        else
        {
            var l = (Linear)layer;
            var lin = new Linear(l.InFeatures, l.OutFeatures, bias: true, rng: new Rng(0));
            (result, weight, bias, srcWeight, srcBias) = (lin, lin.Weight, lin.Bias!, l.Weight, l.Bias);
        }
        int outs = bias.Numel, per = weight.Numel / outs;
        for (int o = 0; o < outs; o++)
        {
            double gamma = bn.Weight?.Data[o] ?? 1.0, beta = bn.Bias?.Data[o] ?? 0.0;
            double s = gamma / Math.Sqrt((double)bn.RunningVar.Data[o] + bn.Eps);
            for (int k = 0; k < per; k++) weight.Data[o * per + k] = (float)(srcWeight.Data[o * per + k] * s);
            double b = srcBias?.Data[o] ?? 0.0;
            bias.Data[o] = (float)((b - bn.RunningMean.Data[o]) * s + beta);
        }
        return result;
    }

    private static Module CopyLeaf(Module m)
    {
        Module copy = m switch
        {
            Conv2d c => new Conv2d(c.InChannels, c.OutChannels, c.KernelSize, c.Options.Stride, c.Options.Padding, c.Options.Dilation,
                c.Options.Groups, c.Bias is not null, new Rng(0)),
            Linear l => new Linear(l.InFeatures, l.OutFeatures, l.Bias is not null, new Rng(0)),
            BatchNorm1d b => new BatchNorm1d(b.NumFeatures, b.Eps, b.Momentum, b.Weight is not null),
            BatchNorm2d b => new BatchNorm2d(b.NumFeatures, b.Eps, b.Momentum, b.Weight is not null),
            MaxPool2d p => new MaxPool2d(p.KernelSize, p.Stride, p.Padding, p.CeilMode, p.Dilation),
            AvgPool2d p => new AvgPool2d(p.KernelSize, p.Stride, p.Padding, p.CountIncludePad, p.CeilMode),
            AdaptiveAvgPool2d p => new AdaptiveAvgPool2d(p.OutputSize),
            Dropout d => new Dropout(d.P, d.Rng),
            Flatten f => new Flatten(f.StartDim),
            ReLU => new ReLU(),
            ReLU6 => new ReLU6(),
            ELU e => new ELU(e.Alpha),
            GELU => new GELU(),
            Affine f => new Affine(f.Scale, f.Shift),
            Pad2d p => new Pad2d(p.Left, p.Right, p.Top, p.Bottom, p.Value),
            LeakyReLU r => new LeakyReLU(r.NegativeSlope),
            Sigmoid => new Sigmoid(),
            Tanh => new Tanh(),
            Softmax s => new Softmax(s.Dim),
            LogSoftmax s => new LogSoftmax(s.Dim),
            Identity => new Identity(),
            _ => throw new NotSupportedException($"BatchNormFolding: cannot copy a {m.GetType().Name}"),
        };
        var src = m.StateDict();
        var dst = copy.StateDict();
        for (int i = 0; i < dst.Count; i++) src[i].Tensor.Span.CopyTo(dst[i].Tensor.Span);
        return copy;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
