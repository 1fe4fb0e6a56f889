using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 8. In evaluation mode BatchNorm is an affine map per channel, y = γ (z − μ)/√(σ² + ε) + β, so it folds into
/// the convolution before it: W' = W·γ/√(σ² + ε) (each output channel's filter scaled), b' = (b − μ)·γ/√(σ² + ε) + β.
/// The example trains the BatchNorm's running statistics on a few batches, folds, and compares conv + BN (eval)
/// with the model folded by <see cref="BatchNormFolding.Fold"/>, and that fold's weights with the formula applied
/// here by hand; the analyzer shows the per-element multiplication and addition saved.
/// </summary>
public static class BatchNormFold
{
    /// <summary>float32 outputs of magnitude ~1 computed two ways (relative to the largest output).</summary>
    public const double Tolerance = 1e-5;

    /// <summary>The stack before folding.</summary>
    public const string Spec = """
        input 3 16 16
        conv2d out_channels=8 kernel_size=3 padding=1
        batchnorm2d
        """;

    /// <summary>The outcome.</summary>
    /// <param name="MaxDiff">max |conv+BN (eval) − folded model (BatchNormFolding.Fold)| over a batch.</param>
    /// <param name="MaxDiffByHand">max |conv+BN (eval) − conv with the weights folded here by the formula|.</param>
    /// <param name="WeightsVsLibrary">max |W', b' by the formula − W', b' of BatchNormFolding.Fold|.</param>
    /// <param name="MaxOutput">max |output| (the scale of the tolerance).</param>
    /// <param name="Before">Counts of conv + BN.</param>
    /// <param name="After">Counts of the folded conv.</param>
    public sealed record Result(double MaxDiff, double MaxDiffByHand, double WeightsVsLibrary, double MaxOutput, Counts Before, Counts After) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Math.Max(MaxDiff, MaxDiffByHand) <= Tolerance * Math.Max(1, MaxOutput) && WeightsVsLibrary <= Tolerance;
    }

    /// <summary>Runs the example.</summary>
    public static Result Run(TextWriter o)
    {
        var spec = SpecParser.Parse(Spec, "bn-fold");
        var model = ModelFactory.Build(spec, new Rng(8), new Rng(9));
        var conv = (Conv2d)model.Layers[0];
        var bn = (BatchNorm2d)model.Layers[1];
        var rng = new Rng(10);
        Init.Uniform(bn.Weight!, 2f, rng);      // γ and β away from their 1 and 0 defaults
        Init.Uniform(bn.Bias!, 1f, rng);
        model.Train();
        using (Nabla.Autograd.GradMode.NoGrad())
            for (int step = 0; step < 20; step++) model.Forward(Tensor.Randn(rng, 8, 3, 16, 16) * 2f + 0.5f);   // running μ, σ² move
        model.Eval();

        // The folding, by the formula, in double.
        int outC = conv.OutChannels, perFilter = conv.Weight.Numel / outC;
        var w = new float[conv.Weight.Numel];
        var b = new float[outC];
        for (int c = 0; c < outC; c++)
        {
            double scale = bn.Weight![c] / Math.Sqrt(bn.RunningVar[c] + (double)bn.Eps);
            for (int k = 0; k < perFilter; k++) w[c * perFilter + k] = (float)(conv.Weight.Data[c * perFilter + k] * scale);
            b[c] = (float)((conv.Bias![c] - bn.RunningMean[c]) * scale + bn.Bias![c]);
        }
        var foldedSpec = SpecParser.Parse(Spec.Replace("batchnorm2d", ""), "bn-fold-folded");
        var folded = (Conv2d)ModelFactory.Build(foldedSpec, new Rng(1), new Rng(2)).Layers[0];
        folded.Weight.CopyFrom(Tensor.FromArray(w, conv.Weight.Shape));
        folded.Bias!.CopyFrom(Tensor.FromArray(b, outC));

        var byLibrary = BatchNormFolding.Fold(model);
        var libConv = (Conv2d)byLibrary.Layers[0];
        double weightsVsLibrary = Math.Max(Dense.MaxAbsDiff(folded.Weight, libConv.Weight), Dense.MaxAbsDiff(folded.Bias, libConv.Bias!));

        var x = Tensor.Randn(new Rng(11), 4, 3, 16, 16) * 2f + 0.5f;
        var reference = model.Forward(x);
        double diff = Dense.MaxAbsDiff(reference, byLibrary.Forward(x));
        double diffByHand = Dense.MaxAbsDiff(reference, folded.Forward(x));
        double maxOut = reference.ToArray().Max(v => Math.Abs(v));
        var before = ModelAnalyzer.Analyze(spec).Total;
        var after = ModelAnalyzer.Analyze(foldedSpec).Total;
        var r = new Result(diff, diffByHand, weightsVsLibrary, maxOut, before, after);

        o.WriteLine("conv2d 3→8 3x3 p1 + batchnorm2d on 3x16x16; BN running statistics from 20 training batches, γ, β random; then eval mode.");
        o.WriteLine($"running mean μ = [{string.Join(", ", bn.RunningMean.ToArray().Select(v => Dense.F(v)))}]");
        o.WriteLine($"running var σ² = [{string.Join(", ", bn.RunningVar.ToArray().Select(v => Dense.F(v)))}]");
        o.WriteLine("folded: W' = W·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β.");
        o.WriteLine($"W', b' by the formula here vs BatchNormFolding.Fold: max |Δ| = {Dense.F(weightsVsLibrary)}.");
        o.WriteLine($"max |conv+BN − folded| over a batch of 4: BatchNormFolding.Fold {Dense.F(diff)}, formula by hand {Dense.F(diffByHand)} " +
                    $"(outputs up to {Dense.F(maxOut)}; tolerance {Tolerance} x max(1, that)): " + (r.Holds ? "equal" : "DIFFERENT"));
        o.WriteLine($"per sample: conv+BN {Dense.N(before.Mults)} mults, {Dense.N(before.Adds)} adds, {Dense.N(before.Params)} params; folded " +
                    $"{Dense.N(after.Mults)} mults, {Dense.N(after.Adds)} adds, {Dense.N(after.Params)} params (one mult and one add per output element saved).");
        return r;
    }
}
