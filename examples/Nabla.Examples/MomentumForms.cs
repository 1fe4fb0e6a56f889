using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 3. Momentum in two textbook forms: velocity v_{k+1} = β v_k + g_k, θ_{k+1} = θ_k − α v_{k+1}, and Polyak's
/// heavy ball θ_{k+1} = θ_k − α g_k + β (θ_k − θ_{k−1}). Unrolled, both give θ_{k+1} − θ_k = −α Σ_j β^{k−j} g_j,
/// so with a constant α they produce the same iterates; the example trains the same model both ways and prints the
/// largest difference seen over all steps (float32 rounding only). A step schedule breaks the equivalence.
/// </summary>
public static class MomentumForms
{
    /// <summary>The two forms sum the same terms in a different order; float32 rounding drifts slowly (relative to max |θ|).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The outcome.</summary>
    /// <param name="Steps">Optimizer steps.</param>
    /// <param name="MaxDifference">max over steps and parameters of |θ_velocity − θ_heavyball| at constant α.</param>
    /// <param name="MaxAbsParam">max |θ| over the run (the scale of the tolerance).</param>
    /// <param name="Travelled">max |θ_final − θ_0|: the runs really moved.</param>
    /// <param name="FinalLoss">The velocity run's final loss, beside its first.</param>
    /// <param name="FirstLoss">The first loss.</param>
    /// <param name="ScheduledDifference">The same comparison when α is halved halfway (the forms then differ).</param>
    public sealed record Result(int Steps, double MaxDifference, double MaxAbsParam, double Travelled, double FirstLoss, double FinalLoss,
        double ScheduledDifference) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => MaxDifference <= Tolerance * Math.Max(1, MaxAbsParam) && Travelled > 100 * MaxDifference;
    }

    /// <summary>Runs 200 steps of SGD with α = 0.05, β = 0.9 on a small MLP and a fixed batch.</summary>
    public static Result Run(TextWriter output) => Run(output, steps: 200);

    /// <summary>Runs the example for <paramref name="steps"/> steps.</summary>
    public static Result Run(TextWriter o, int steps)
    {
        const double lr = 0.05;
        const float beta = 0.9f;
        var (v, vLoss) = Trajectory(MomentumForm.Velocity, steps, lr, beta, halveAt: -1);
        var (h, _) = Trajectory(MomentumForm.HeavyBall, steps, lr, beta, halveAt: -1);
        double maxDiff = 0, maxAbs = 0;
        for (int s = 0; s <= steps; s++)
        {
            maxDiff = Math.Max(maxDiff, Dense.MaxAbsDiff(v[s], h[s]));
            maxAbs = Math.Max(maxAbs, v[s].Max(Math.Abs));
        }
        double travelled = Dense.MaxAbsDiff(v[steps], v[0]);
        var (vs, _) = Trajectory(MomentumForm.Velocity, steps, lr, beta, halveAt: steps / 2);
        var (hs, _) = Trajectory(MomentumForm.HeavyBall, steps, lr, beta, halveAt: steps / 2);
        double scheduled = Dense.MaxAbsDiff(vs[steps], hs[steps]);

        o.WriteLine($"MLP 8 → 16 → 4 on a fixed batch of 32, cross-entropy; SGD α = {lr}, β = {beta}, {steps} steps, both forms from the same start.");
        o.WriteLine($"loss {Dense.F(vLoss[0])} → {Dense.F(vLoss[^1])}; parameters moved by up to {Dense.F(travelled)} (max |θ| {Dense.F(maxAbs)}).");
        o.WriteLine($"largest |θ_velocity − θ_heavy-ball| over all {steps} steps: {Dense.F(maxDiff)} (float32 rounding; tolerance {Tolerance} x max(1, max |θ|)).");
        o.WriteLine($"with α halved at step {steps / 2} the forms part: final difference {Dense.F(scheduled)} " +
                    "(velocity rescales the whole remembered sum, heavy ball only new gradients).");
        return new Result(steps, maxDiff, maxAbs, travelled, vLoss[0], vLoss[^1], scheduled);
    }

    private static (List<double[]> Iterates, List<double> Losses) Trajectory(MomentumForm form, int steps, double lr, float beta, int halveAt)
    {
        var model = new Sequential(new Linear(8, 16, rng: new Rng(21)), new Tanh(), new Linear(16, 4, rng: new Rng(22)));
        var opt = new Sgd(model.NamedParameters(), lr, momentum: beta, form: form);
        var data = new Rng(23);
        var x = Tensor.Randn(data, 32, 8);
        var y = Enumerable.Range(0, 32).Select(_ => data.NextInt(4)).ToArray();
        var iterates = new List<double[]> { Snapshot(model) };
        var losses = new List<double>();
        for (int s = 0; s < steps; s++)
        {
            if (s == halveAt) opt.LearningRate = lr / 2;
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            losses.Add(loss.Item());
            loss.Backward();
            opt.Step();
            iterates.Add(Snapshot(model));
        }
        return (iterates, losses);
    }

    private static double[] Snapshot(Module m) => m.Parameters().SelectMany(p => p.ToArray()).Select(v => (double)v).ToArray();
}
