using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Tests.IO.Onnx;

/// <summary>The weights the export checks use (also compiled into tools/onnx_check): PyTorch-default initialisation
/// from a seed, every BatchNorm given random affine parameters and running statistics, so that folding and the
/// exported BatchNormalization really compute something.</summary>
internal static class ExportWeights
{
    /// <summary>The model of <paramref name="spec"/> with those weights, in evaluation mode.</summary>
    public static Sequential Build(ModelSpec spec, ulong seed)
    {
        var model = ModelFactory.Build(spec, new Rng(seed), new Rng(seed + 1));
        var rng = new Rng(seed + 2);
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm bn)
                for (int c = 0; c < bn.NumFeatures; c++)
                {
                    if (bn.Weight is not null) bn.Weight.Data[c] = 0.5f + rng.NextFloat();
                    if (bn.Bias is not null) bn.Bias.Data[c] = rng.NextNormal() * 0.2f;
                    bn.RunningMean.Data[c] = rng.NextNormal() * 0.2f;
                    bn.RunningVar.Data[c] = 0.5f + rng.NextFloat();
                }
        model.Eval();
        return model;
    }
}
