using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Autograd;

/// <summary>One tensor's comparison in a gradient check.</summary>
/// <param name="Name">"input" or the parameter's name.</param>
/// <param name="MaxAbsError">max |analytic − numeric| over the checked elements.</param>
/// <param name="MaxRelError">max |analytic − numeric| / max(|numeric|, |analytic|, scale) over the checked elements.</param>
/// <param name="Checked">How many elements were perturbed.</param>
/// <param name="Passed">Whether every checked element was within tolerance.</param>
/// <param name="NonSmooth">Elements skipped as non-smooth (only with <c>skipNonSmooth</c>): the differences at h and h/2 disagree.</param>
public readonly record struct GradCheckEntry(string Name, double MaxAbsError, double MaxRelError, int Checked, bool Passed, int NonSmooth = 0);

/// <summary>
/// Finite-difference check of a module's backward: compares autograd's gradient of a random projection
/// L = Σ r ⊙ f(x) with central differences (L(θ + h) − L(θ − h)) / 2h, for the input and every parameter.
/// </summary>
/// <remarks>
/// The engine is float32, so h is relatively large (1e-2 by default) and L is accumulated in float64;
/// the tolerance (default 1e-2, relative to max(|numeric|, |analytic|, 1e-3·‖grad‖∞)) is far below the error a wrong backward makes
/// (a dropped term or a wrong index gives O(1) relative error). Non-smooth points (ReLU at 0, max-pool ties)
/// can trip the check: inputs are random, so this is rare. Dropout must be off (call in eval mode or p = 0).
/// </remarks>
public static class GradCheck
{
    /// <summary>Checks <paramref name="module"/> on <paramref name="input"/>, perturbing at most
    /// <paramref name="maxPerTensor"/> elements of each tensor (chosen by a seeded generator).</summary>
    /// <param name="skipNonSmooth">When true, an element whose central differences at h and h/2 disagree by more
    /// than a quarter of the tolerance is skipped as non-smooth (a ReLU or max-pool switch inside the step, common in deep
    /// ReLU networks with a float32 step of 1e-2) and another element is drawn, up to 4·maxPerTensor draws.
    /// The other elements are compared using the difference at h/2. A wrong backward still fails: there both
    /// differences agree with each other and not with autograd.</param>
    public static IReadOnlyList<GradCheckEntry> Check(Module module, Tensor input, double h = 1e-2, double tol = 1e-2,
        int maxPerTensor = 64, ulong seed = 1, bool skipNonSmooth = false)
    {
        var rng = new Rng(seed);
        var x = input.Clone();
        x.RequiresGrad = true;
        Tensor proj;
        using (GradMode.NoGrad()) proj = Tensor.Randn(rng, module.Forward(x).Shape);

        // BatchNorm in training mode updates running statistics on every forward: snapshot and restore them.
        var buffers = module.NamedBuffers().Select(b => (b.Tensor, b.Tensor.ToArray())).ToList();
        void RestoreBuffers() { foreach (var (t, v) in buffers) v.CopyTo(t.Span); }

        double Loss()
        {
            using var _ = GradMode.NoGrad();
            var y = module.Forward(x);
            RestoreBuffers();
            double s = 0;
            for (int i = 0; i < y.Numel; i++) s += (double)y.Data[i] * proj.Data[i];
            return s;
        }

        module.ZeroGrad();
        var outY = module.Forward(x);
        RestoreBuffers();
        F.Sum(F.Mul(outY, proj)).Backward();

        var targets = new List<(string, Tensor)> { ("input", x) };
        targets.AddRange(module.NamedParameters());
        var results = new List<GradCheckEntry>();
        foreach (var (name, t) in targets)
        {
            var analytic = t.Grad?.ToArray() ?? new float[t.Numel];
            double scale = Math.Max((skipNonSmooth ? 1e-2 : 1e-3) * analytic.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max(), 1e-4);
            var idx = Enumerable.Range(0, t.Numel).ToArray();
            int draws = skipNonSmooth ? 4 * maxPerTensor : maxPerTensor;
            if (idx.Length > draws)
            {
                for (int i = idx.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (idx[i], idx[j]) = (idx[j], idx[i]); }
                idx = idx[..draws];
            }
            double maxAbs = 0, maxRel = 0;
            int done = 0, nonSmooth = 0;
            double Central(int i, float orig, double step)
            {
                // The float32 steps actually taken, not the nominal 2·step: matters when step is near orig's ulp.
                float up = (float)(orig + step), down = (float)(orig - step);
                t.Data[i] = up; double lp = Loss();
                t.Data[i] = down; double lm = Loss();
                t.Data[i] = orig;
                return (lp - lm) / ((double)up - down);
            }
            foreach (int i in idx)
            {
                if (done == maxPerTensor) break;
                float orig = t.Data[i];
                double numeric = Central(i, orig, h);
                if (skipNonSmooth)
                {
                    double half = Central(i, orig, h / 4);
                    if (Math.Abs(half - numeric) > tol / 10 * Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(half)), scale)) { nonSmooth++; continue; }
                    numeric = half;
                }
                done++;
                double err = Math.Abs(numeric - analytic[i]);
                maxAbs = Math.Max(maxAbs, err);
                maxRel = Math.Max(maxRel, err / Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])), scale));
            }
            results.Add(new GradCheckEntry(name, maxAbs, maxRel, done, maxRel <= tol, nonSmooth));
        }
        module.ZeroGrad();
        return results;
    }
}
