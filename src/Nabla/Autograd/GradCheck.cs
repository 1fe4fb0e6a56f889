using Nabla.Autograd.Reference;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Autograd;

/// <summary>
/// Finite-difference check of a module's backward: compares autograd's float32 gradient of a random projection
/// L = Σ r ⊙ f(x) with central differences (L(θ + h) − L(θ − h)) / 2h, for the input and every parameter.
/// </summary>
/// <remarks>
/// <para>As PyTorch's <c>gradcheck</c>, which demands float64, the differences come from a float64 evaluation:
/// <see cref="ReferenceForward"/> interprets the model with naive float64 loops from the float32 weights, so
/// with a step of <see cref="DefaultStep"/>·max(|θᵢ|, 1) the quotient is exact to about 1e-9 and a step seldom
/// crosses a ReLU or max-pool switch. The comparison is elementwise,
/// |a − n| ≤ tol·max(|n|, floor) with tol = <see cref="DefaultTolerance"/> and
/// floor = <see cref="FloorFraction"/>·max(‖a‖∞ of the tensor, <see cref="ZeroFraction"/>·the largest ‖a‖∞ of
/// any tensor): the float32 gradient carries rounding error relative to its tensor's largest entries, not to each
/// element, and a tensor whose gradient is zero in theory (a bias before a training-mode BatchNorm) holds only
/// rounding noise relative to the model's gradients. A wrong backward (a dropped term, a wrong index) is off by O(1).</para>
/// <para>The check also compares the engine's float32 output with the reference's (<see cref="GradCheckReport.ForwardError"/>,
/// bound <see cref="ForwardTolerance"/>): a naive twin of the whole forward pass.</para>
/// <para>Modules with no float64 twin (custom modules not implementing <see cref="IReferenceModule"/>) are checked
/// with float32 forwards instead, step <see cref="Float32Step"/> and bound <see cref="Float32Tolerance"/>.</para>
/// <para>Dropout must be off (call in eval mode or p = 0). BatchNorm in training mode uses batch statistics;
/// its running statistics are restored after every engine forward.</para>
/// </remarks>
public static class GradCheck
{
    /// <summary>Relative step: h = step·max(|θᵢ|, 1).</summary>
    public const double DefaultStep = 1e-6;
    /// <summary>Bound on |a − n| / max(|n|, floor). The float32 gradient's own error is ~1e-6 of its tensor's scale.</summary>
    public const double DefaultTolerance = 1e-3;
    /// <summary>floor = FloorFraction × the tensor's scale: elements far below their tensor's largest gradient are
    /// measured against this fraction of it (float32 accumulation error is relative to the large terms).</summary>
    public const double FloorFraction = 1e-2;
    /// <summary>A tensor's scale is at least ZeroFraction × the largest gradient of any checked tensor, so a
    /// gradient that is zero in theory is compared absolutely, at rounding level.</summary>
    public const double ZeroFraction = 1e-2;
    /// <summary>Bound on the float32 forward's error against the float64 reference (as the PyTorch parity bound).</summary>
    public const double ForwardTolerance = 1e-4;
    /// <summary>Step of the float32 fallback (no float64 twin).</summary>
    public const double Float32Step = 1e-2;
    /// <summary>Bound of the float32 fallback, relative to max(|n|, |a|, 1e-2·‖a‖∞).</summary>
    public const double Float32Tolerance = 1e-2;

    /// <summary>Checks <paramref name="module"/> on <paramref name="input"/>, comparing at most
    /// <paramref name="maxPerTensor"/> elements of each tensor (chosen by a seeded generator).</summary>
    /// <param name="module">The model; its train/eval mode is used as is (dropout must be inactive).</param>
    /// <param name="input">A batch.</param>
    /// <param name="maxPerTensor">Elements compared per tensor.</param>
    /// <param name="seed">Seeds the projection r and the choice of elements.</param>
    /// <param name="tol">Bound on the relative error (default <see cref="DefaultTolerance"/>, or <see cref="Float32Tolerance"/> in the fallback).</param>
    /// <param name="step">Relative step (default <see cref="DefaultStep"/>, or <see cref="Float32Step"/> in the fallback).</param>
    /// <param name="skipNonSmooth">When true, an element that fails is re-evaluated at h/2; if the two quotients
    /// disagree it sits on a switch of a piecewise-linear layer, is counted as non-smooth and another element is
    /// drawn (up to 4·maxPerTensor draws). A wrong backward still fails: its quotients agree with each other.</param>
    /// <param name="float32">Force the float32 fallback even when a float64 twin exists (for comparison).</param>
    public static GradCheckReport Check(Module module, Tensor input, int maxPerTensor = 8, ulong seed = 1, double? tol = null,
        double? step = null, bool skipNonSmooth = true, bool float32 = false)
    {
        string? unsupported = ReferenceForward.FindUnsupported(module);
        bool f64 = unsupported is null && !float32;
        double h = step ?? (f64 ? DefaultStep : Float32Step), bound = tol ?? (f64 ? DefaultTolerance : Float32Tolerance);

        var rng = new Rng(seed);
        // BatchNorm in training mode updates running statistics on every forward: snapshot and restore them.
        var buffers = module.NamedBuffers().Select(b => (b.Tensor, b.Tensor.ToArray())).ToList();
        void RestoreBuffers() { foreach (var (t, v) in buffers) v.CopyTo(t.Span); }
        var reference = f64 ? new ReferenceForward(module) : null;

        var x = input.Clone();
        x.RequiresGrad = true;
        module.ZeroGrad();
        var y = module.Forward(x);
        RestoreBuffers();
        var proj = Tensor.Randn(rng, y.Shape);
        F.Sum(F.Mul(y, proj)).Backward();
        float[] y32 = y.ToArray(), r32 = proj.ToArray();

        var targets = new List<(string Name, Tensor T)> { ("input", x) };
        targets.AddRange(module.NamedParameters());
        var analytic = targets.Select(t => t.T.Grad?.ToArray() ?? new float[t.T.Numel]).ToList();
        double largest = analytic.Max(a => MaxAbs(a));

        double forwardError = double.NaN;
        DoubleTensor? x64 = null;
        if (reference is not null)
        {
            x64 = DoubleTensor.From(input);
            var y64 = reference.Forward(x64);
            forwardError = RelErr(y32, y64.Data);
        }

        double Project(double[] yd)
        {
            double s = 0;
            for (int i = 0; i < yd.Length; i++) s += r32[i] * yd[i];
            return s;
        }
        double Loss32()
        {
            using var _ = GradMode.NoGrad();
            var yy = module.Forward(x);
            RestoreBuffers();
            double s = 0;
            for (int i = 0; i < yy.Numel; i++) s += (double)yy.Data[i] * r32[i];
            return s;
        }

        var results = new List<GradCheckEntry>();
        for (int ti = 0; ti < targets.Count; ti++)
        {
            var (name, t) = targets[ti];
            bool isInput = ti == 0;
            var a = analytic[ti];
            double scale = f64 ? Math.Max(MaxAbs(a), ZeroFraction * largest) : MaxAbs(a);
            double floor = f64 ? Math.Max(FloorFraction * scale, double.Epsilon) : Math.Max(1e-2 * scale, 1e-4);
            DoubleTensor? v64 = reference is null ? null : isInput ? x64! : reference.Value(t);

            double Central(int i, double hh)
            {
                if (v64 is not null)
                {
                    double orig = v64.Data[i], step = hh * Math.Max(Math.Abs(orig), 1);
                    double up = orig + step, down = orig - step;
                    v64.Data[i] = up; double lp = Project(isInput ? reference!.Forward(v64).Data : reference!.ForwardFrom(t).Data);
                    v64.Data[i] = down; double lm = Project(isInput ? reference.Forward(v64).Data : reference.ForwardFrom(t).Data);
                    v64.Data[i] = orig;
                    return (lp - lm) / (up - down);
                }
                float o = t.Data[i];
                // The float32 steps actually taken, not the nominal 2·step: matters when step is near o's ulp.
                float fu = (float)(o + hh), fd = (float)(o - hh);
                t.Data[i] = fu; double p = Loss32();
                t.Data[i] = fd; double m = Loss32();
                t.Data[i] = o;
                return (p - m) / ((double)fu - fd);
            }

            var idx = Enumerable.Range(0, t.Numel).ToArray();
            int draws = skipNonSmooth ? 4 * maxPerTensor : maxPerTensor;
            if (idx.Length > draws)
            {
                for (int i = idx.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (idx[i], idx[j]) = (idx[j], idx[i]); }
                idx = idx[..draws];
            }
            double maxAbs = 0, maxRel = 0;
            int done = 0, nonSmooth = 0;
            foreach (int i in idx)
            {
                if (done == maxPerTensor) break;
                double numeric = Central(i, h);
                double Rel(double n) => Math.Abs(n - a[i]) / Math.Max(f64 ? Math.Abs(n) : Math.Max(Math.Abs(n), Math.Abs(a[i])), floor);
                if (skipNonSmooth && Rel(numeric) > bound)
                {
                    // Non-smooth when the quotients at h and h/2 disagree (a switch inside the step); a wrong
                    // backward makes them agree with each other and not with autograd.
                    double half = Central(i, h / 2);
                    if (Math.Abs(half - numeric) > bound / 4 * Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(half)), floor)) { nonSmooth++; continue; }
                    numeric = half;
                }
                done++;
                maxAbs = Math.Max(maxAbs, Math.Abs(numeric - a[i]));
                maxRel = Math.Max(maxRel, Rel(numeric));
            }
            results.Add(new GradCheckEntry(name, maxAbs, maxRel, done, maxRel <= bound, nonSmooth));
            // The input's quotients ran full forwards on perturbed inputs: remember the layer inputs of the true one again.
            if (isInput && reference is not null) reference.Forward(x64!);
        }
        module.ZeroGrad();
        return new GradCheckReport(results, f64, forwardError, ForwardTolerance, bound, h, (int[])y.Shape.Clone(), f64 ? null : unsupported ?? "float32 forced");
    }

    private static double MaxAbs(float[] a)
    {
        double m = 0;
        foreach (var v in a) m = Math.Max(m, Math.Abs((double)v));
        return m;
    }

    private static double RelErr(float[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < b.Length; i++) { num = Math.Max(num, Math.Abs(a[i] - b[i])); den = Math.Max(den, Math.Abs(b[i])); }
        return num / Math.Max(den, double.Epsilon);
    }
}
