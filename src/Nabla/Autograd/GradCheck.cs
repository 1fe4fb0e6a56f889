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
public readonly record struct GradCheckEntry(string Name, double MaxAbsError, double MaxRelError, int Checked, bool Passed);

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
    public static IReadOnlyList<GradCheckEntry> Check(Module module, Tensor input, double h = 1e-2, double tol = 1e-2,
        int maxPerTensor = 64, ulong seed = 1)
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
            double scale = Math.Max(1e-3 * analytic.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max(), 1e-4);
            var idx = Enumerable.Range(0, t.Numel).ToArray();
            if (idx.Length > maxPerTensor)
            {
                for (int i = idx.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (idx[i], idx[j]) = (idx[j], idx[i]); }
                idx = idx[..maxPerTensor];
            }
            double maxAbs = 0, maxRel = 0;
            foreach (int i in idx)
            {
                float orig = t.Data[i];
                t.Data[i] = (float)(orig + h); double lp = Loss();
                t.Data[i] = (float)(orig - h); double lm = Loss();
                t.Data[i] = orig;
                double numeric = (lp - lm) / (2 * h);
                double err = Math.Abs(numeric - analytic[i]);
                maxAbs = Math.Max(maxAbs, err);
                maxRel = Math.Max(maxRel, err / Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])), scale));
            }
            results.Add(new GradCheckEntry(name, maxAbs, maxRel, idx.Length, maxRel <= tol));
        }
        module.ZeroGrad();
        return results;
    }
}
