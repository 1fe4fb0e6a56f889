using Nabla.Analysis;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Analysis;

public class BatchNormFoldingTests
{
    /// <summary>The bound: folded and unfolded evaluation outputs agree to 1e-5, relative to the largest output.</summary>
    private const double FoldTol = 1e-5;

    /// <summary>Conv+BN in the trunk, in a concat branch, in a residual body and in its shortcut; a BN that follows a
    /// ReLU (not foldable); a conv without bias; linear+BN1d; a BN without affine parameters.</summary>
    private const string Mixed = """
        input 3 12 10
        conv2d out_channels=6 kernel_size=3 padding=1 bias=false
        batchnorm2d
        relu
        concat
          branch
            conv2d out_channels=4 kernel_size=1
            batchnorm2d eps=0.001
            tanh
          branch
            conv2d out_channels=4 kernel_size=3x1 padding=1x0 groups=2
            batchnorm2d affine=false
          branch
            maxpool2d kernel_size=3 stride=1 padding=1
            batchnorm2d
        end
        residual
          conv2d out_channels=14 kernel_size=3 padding=2 dilation=2 bias=false
          batchnorm2d
          leakyrelu negative_slope=0.2
        shortcut
          conv2d out_channels=14 kernel_size=1 stride=1
          batchnorm2d
        end
        avgpool2d kernel_size=2
        flatten
        linear out_features=16
        batchnorm1d
        sigmoid
        linear out_features=5 bias=false
        batchnorm1d
        """;

    internal static void RandomizeBatchNorms(Module model, Rng rng)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not BatchNorm bn) continue;
            for (int i = 0; i < bn.NumFeatures; i++)
            {
                bn.RunningMean.Data[i] = rng.NextNormal();
                bn.RunningVar.Data[i] = 0.25f + 2 * rng.NextFloat();
                if (bn.Weight is not null) bn.Weight.Data[i] = rng.NextNormal();
                if (bn.Bias is not null) bn.Bias.Data[i] = rng.NextNormal();
            }
        }
    }

    private static double RelErr(Tensor a, Tensor b)
    {
        Assert.Equal(b.Shape, a.Shape);
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Numel; i++) { diff = Math.Max(diff, Math.Abs((double)a.Data[i] - b.Data[i])); scale = Math.Max(scale, Math.Abs(b.Data[i])); }
        return diff / Math.Max(scale, 1e-6);
    }

    private static (Sequential Model, Sequential Folded, Tensor X) Setup(ModelSpec spec, ulong seed)
    {
        var model = ModelFactory.Build(spec, new Rng(seed), new Rng(seed + 1));
        RandomizeBatchNorms(model, new Rng(seed + 2));
        model.Eval();
        var folded = BatchNormFolding.Fold(model);
        var x = Tensor.Randn(new Rng(seed + 3), [3, .. spec.Input]);
        return (model, folded, x);
    }

    [Theory]
    [InlineData(1ul)]
    [InlineData(7ul)]
    public void Fold_MixedModel_EvalOutputMatches(ulong seed)
    {
        var (model, folded, x) = Setup(SpecParser.Parse(Mixed), seed);
        using var _ = GradMode.NoGrad();
        Assert.InRange(RelErr(folded.Forward(x), model.Forward(x)), 0, FoldTol);
    }

    [Fact]
    public void Fold_Resnet18_EvalOutputMatches_AndFoldsEveryBatchNorm()
    {
        var spec = Zoo.Load("resnet18").WithInput([3, 32, 32]);
        var (model, folded, x) = Setup(spec, 11);
        using var _ = GradMode.NoGrad();
        var one = new Tensor(x.Data[..(3 * 32 * 32)], 1, 3, 32, 32);
        Assert.InRange(RelErr(folded.Forward(one), model.Forward(one)), 0, FoldTol);
        int bns = model.NamedModules().Count(m => m.Module is BatchNorm);
        Assert.Equal(bns, BatchNormFolding.FoldedNames(model).Count);
        Assert.DoesNotContain(folded.NamedModules(), m => m.Module is BatchNorm);
    }

    [Fact]
    public void Fold_Names_BatchNormEntriesGone_ConvGainsBias_OthersUnchanged()
    {
        var (model, folded, _) = Setup(SpecParser.Parse(Mixed), 3);
        var foldedBns = BatchNormFolding.FoldedNames(model);
        Assert.Equal(["1", "11", "3.0.1", "3.1.1", "4.1", "4.shortcut.1", "8"], foldedBns.Order(StringComparer.Ordinal));
        var before = model.StateDict().Select(e => e.Name).ToHashSet();
        var after = folded.StateDict().Select(e => e.Name).ToList();
        var expected = before.Where(n => !foldedBns.Any(b => n.StartsWith(b + ".", StringComparison.Ordinal))).ToHashSet();
        expected.UnionWith(["0.bias", "4.0.bias", "10.bias"]); // convs/linears that had no bias gain one
        Assert.Equal(expected.Order(StringComparer.Ordinal), after.Order(StringComparer.Ordinal));
        Assert.Contains("3.2.1.running_mean", after); // the BN after the max-pool stays
    }

    [Fact]
    public void Fold_DoesNotModifyOrShareWithOriginal()
    {
        var (model, folded, _) = Setup(SpecParser.Parse(Mixed), 5);
        var snapshot = model.StateDict().Select(e => e.Tensor.ToArray()).ToList();
        var foldedTensors = folded.StateDict().Select(e => e.Tensor).ToList();
        foreach (var t in foldedTensors) t.Span.Fill(42f);
        var now = model.StateDict().Select(e => e.Tensor.ToArray()).ToList();
        for (int i = 0; i < now.Count; i++) Assert.Equal(snapshot[i], now[i]);
        Assert.DoesNotContain(model.StateDict(), e => foldedTensors.Any(f => ReferenceEquals(f.Data, e.Tensor.Data)));
    }

    [Fact]
    public void FoldedStateDict_LoadsIntoFoldOfFreshModel_SameOutput()
    {
        var spec = SpecParser.Parse(Mixed);
        var (_, folded, x) = Setup(spec, 9);
        var state = folded.StateDict().ToDictionary(e => e.Name, e => e.Tensor.Clone(), StringComparer.Ordinal);
        var fresh = BatchNormFolding.Fold(ModelFactory.Build(spec, new Rng(100), new Rng(101)));
        fresh.LoadStateDict(state);
        using var _ = GradMode.NoGrad();
        Assert.Equal(folded.Forward(x).ToArray(), fresh.Forward(x).ToArray());
    }

    [Fact]
    public void Fold_LinearBatchNorm_MatchesFormula()
    {
        var lin = new Linear(3, 2, bias: true, rng: new Rng(1));
        var bn = new BatchNorm1d(2, eps: 0.5f);
        RandomizeBatchNorms(bn, new Rng(2));
        var folded = BatchNormFolding.Fold(new Sequential(lin, bn));
        var f = (Linear)folded.Layers[0];
        Assert.IsType<Identity>(folded.Layers[1]);
        for (int o = 0; o < 2; o++)
        {
            // An independent spelling of the rule, in float64: y = γ (W x + b − μ)/√(σ²+ε) + β.
            double s = bn.Weight!.Data[o] / Math.Sqrt(bn.RunningVar.Data[o] + 0.5);
            Assert.Equal((lin.Bias!.Data[o] - bn.RunningMean.Data[o]) * s + bn.Bias!.Data[o], f.Bias!.Data[o], 5);
            for (int k = 0; k < 3; k++) Assert.Equal(lin.Weight.Data[o * 3 + k] * s, f.Weight.Data[o * 3 + k], 5);
        }
    }
}
