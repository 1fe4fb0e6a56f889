using Nabla.Analysis;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.IO;

/// <summary>Builds the PyTorch-twin module tree of a spec: nested <see cref="Sequential"/>s whose parameter
/// names follow CONTRACTS §2 ("3.1.0.weight"), with PyTorch's default initialisation.</summary>
public static class ModelFactory
{
    /// <summary>Builds the model. Shapes come from the analyzer, so a spec that does not fit its input fails here
    /// with the analyzer's message (layer name and shapes).</summary>
    /// <param name="spec">The parsed spec.</param>
    /// <param name="init">Generator for the initial weights.</param>
    /// <param name="dropout">Generator for dropout masks (shared by every dropout layer; saved in checkpoints).</param>
    /// <exception cref="NablaInputException">The spec's shapes do not work out.</exception>
    public static Sequential Build(ModelSpec spec, Rng init, Rng dropout)
    {
        var summary = ModelAnalyzer.Analyze(spec);
        var model = new Sequential();
        var shape = spec.Input.ToArray();
        foreach (var layer in spec.Layers)
        {
            model.Add(BuildLayer(layer, shape, summary, init, dropout));
            shape = summary[layer.Name].OutputShape.ToArray();
        }
        if (spec.ParameterNames is not null) model.UseNames(spec.ParameterNames);
        if (spec.InitialWeights is not null) TensorFiles.LoadInto(model, spec.InitialWeights, spec.Source);
        return model;
    }

    private static Sequential BuildChain(IReadOnlyList<LayerSpec> layers, int[] shape, ModelSummary s, Rng init, Rng dropout)
    {
        var seq = new Sequential();
        foreach (var layer in layers)
        {
            seq.Add(BuildLayer(layer, shape, s, init, dropout));
            shape = s[layer.Name].OutputShape.ToArray();
        }
        return seq;
    }

    private static (int h, int w) T(Size2 s) => (s.H, s.W);

    private static Module BuildLayer(LayerSpec layer, int[] inShape, ModelSummary s, Rng init, Rng dropout) => layer switch
    {
        Conv2dSpec c => new Conv2d(inShape[0], c.OutChannels, T(c.KernelSize), T(c.Stride), T(c.Padding), T(c.Dilation), c.Groups, c.Bias, init),
        LinearSpec l => new Linear(inShape[^1], l.OutFeatures, l.Bias, init),
        BatchNorm1dSpec b => new BatchNorm1d(inShape[0], (float)b.Eps, (float)b.Momentum, b.Affine),
        BatchNorm2dSpec b => new BatchNorm2d(inShape[0], (float)b.Eps, (float)b.Momentum, b.Affine),
        MaxPool2dSpec p => new MaxPool2d(T(p.KernelSize), T(p.Stride), T(p.Padding), p.CeilMode, T(p.Dilation)),
        AvgPool2dSpec p => new AvgPool2d(T(p.KernelSize), T(p.Stride), T(p.Padding), p.CountIncludePad, p.CeilMode),
        AdaptiveAvgPool2dSpec a => new AdaptiveAvgPool2d(T(a.OutputSize)),
        DropoutSpec d => new Dropout((float)d.P, dropout),
        FlattenSpec => new Flatten(),
        LeakyReLUSpec l => new LeakyReLU((float)l.NegativeSlope),
        EluSpec e => new ELU((float)e.Alpha),
        Pad2dSpec p => new Pad2d(p.Left, p.Right, p.Top, p.Bottom, (float)p.Value),
        AffineSpec f => new Affine(f.Scale.Select(v => (float)v).ToArray(), f.Shift.Select(v => (float)v).ToArray()),
        SoftmaxSpec sm => sm.Kind == LayerKind.Softmax ? new Softmax(sm.Dim) : new LogSoftmax(sm.Dim),
        ActivationSpec a => a.Kind switch
        {
            LayerKind.ReLU => new ReLU(),
            LayerKind.ReLU6 => new ReLU6(),
            LayerKind.Gelu => new GELU(),
            LayerKind.Sigmoid => new Sigmoid(),
            LayerKind.Tanh => new Tanh(),
            _ => throw new NotSupportedException($"activation {a.Kind}"),
        },
        ConcatSpec c => new Concat(c.Branches.Select(b => (Module)BuildChain(b, inShape, s, init, dropout)).ToArray()),
        ResidualSpec r => new Residual(BuildChain(r.Body, inShape, s, init, dropout).Layers,
            r.Shortcut is null ? null : BuildChain(r.Shortcut, inShape, s, init, dropout)),
        _ => throw new NotSupportedException($"layer kind {layer.Kind} at line {layer.Line}"),
    };
}
