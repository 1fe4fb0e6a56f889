using System.Numerics;

namespace Nabla.Kernels;

/// <summary>
/// Optimizer updates on spans (parameters, gradients, state), vectorised and split over <see cref="Workers"/> for
/// large tensors. Each element is updated by the same sequence of float operations as the naive twin (separate
/// multiplies and adds, no fused multiply-add), so results are bit-identical to it and to any split.
/// </summary>
public static class ParamUpdate
{
    /// <summary>Elements per part when a tensor is split over the workers (memory-bound work: a part should fill
    /// a good share of L2 but give both cores something for the first layers of an MLP).</summary>
    private const int PartLength = 1 << 15;

    /// <summary>The settings of one SGD update (as <c>torch.optim.SGD</c>; see <c>Nabla.Optim.Sgd</c>).</summary>
    /// <param name="Lr">Learning rate α.</param>
    /// <param name="Momentum">β (0: plain SGD, no state).</param>
    /// <param name="Dampening">Dampening of the velocity update.</param>
    /// <param name="WeightDecay">L2 penalty λ (g ← g + λθ).</param>
    /// <param name="Nesterov">Nesterov momentum (velocity form).</param>
    /// <param name="HeavyBall">Heavy-ball form: the state holds the previous step d, θ ← θ − αg + βd.</param>
    /// <param name="First">Velocity form: the first step (v ← g).</param>
    public readonly record struct SgdSettings(float Lr, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool HeavyBall, bool First);

    /// <summary>One SGD step over <paramref name="p"/> with gradient <paramref name="g"/> and state
    /// <paramref name="state"/> (velocity, or previous step in heavy-ball form; unused without momentum).</summary>
    /// <exception cref="ArgumentException">The spans differ in length (state may be empty without momentum).</exception>
    public static unsafe void Sgd(Span<float> p, ReadOnlySpan<float> g, Span<float> state, in SgdSettings s)
    {
        CheckLengths(p.Length, g.Length, s.Momentum == 0 ? p.Length : state.Length, "Sgd");
        fixed (float* pp = p, pg = g, ps = state)
        {
            var job = (P: (nint)pp, G: (nint)pg, S: (nint)ps, N: p.Length, Set: s);
            Workers.Run(Parts(p.Length), job, static (j, part) =>
            {
                var (lo, hi) = Range(j.N, part);
                SgdRange((float*)j.P, (float*)j.G, (float*)j.S, lo, hi, j.Set);
            });
        }
    }

    private static unsafe void SgdRange(float* p, float* g, float* st, int lo, int hi, in SgdSettings s)
    {
        int i = lo, w = Vector<float>.Count;
        float lr = s.Lr, beta = s.Momentum, wd = s.WeightDecay, keep = 1 - s.Dampening, negLr = -lr;
        if (Vector.IsHardwareAccelerated)
        {
            var vlr = new Vector<float>(lr); var vbeta = new Vector<float>(beta); var vwd = new Vector<float>(wd);
            var vkeep = new Vector<float>(keep); var vneg = new Vector<float>(negLr);
            for (; i + w <= hi; i += w)
            {
                var pv = Vector.Load(p + i);
                var gv = Vector.Load(g + i) + vwd * pv;
                if (beta == 0) { (pv - vlr * gv).Store(p + i); continue; }
                if (s.HeavyBall)
                {
                    var step = vneg * gv + vbeta * Vector.Load(st + i);
                    (pv + step).Store(p + i);
                    step.Store(st + i);
                    continue;
                }
                var v = s.First ? gv : vbeta * Vector.Load(st + i) + vkeep * gv;
                v.Store(st + i);
                (pv - vlr * (s.Nesterov ? gv + vbeta * v : v)).Store(p + i);
            }
        }
        for (; i < hi; i++) SgdOne(p, g, st, i, s);
    }

    internal static unsafe void SgdOne(float* p, float* g, float* st, int i, in SgdSettings s)
    {
        float gi = g[i] + s.WeightDecay * p[i];
        if (s.Momentum == 0) { p[i] -= s.Lr * gi; return; }
        if (s.HeavyBall)
        {
            float step = -s.Lr * gi + s.Momentum * st[i];
            p[i] += step;
            st[i] = step;
            return;
        }
        st[i] = s.First ? gi : s.Momentum * st[i] + (1 - s.Dampening) * gi;
        p[i] -= s.Lr * (s.Nesterov ? gi + s.Momentum * st[i] : st[i]);
    }

    /// <summary>The settings of one Adam step (see <c>Nabla.Optim.Adam</c>).</summary>
    /// <param name="Lr">α.</param>
    /// <param name="Beta1">β₁.</param>
    /// <param name="Beta2">β₂.</param>
    /// <param name="Eps">ε.</param>
    /// <param name="WeightDecay">λ.</param>
    /// <param name="Decoupled">AdamW: θ ← θ(1 − αλ) instead of g ← g + λθ.</param>
    /// <param name="StepSize">α / (1 − β₁ᵗ).</param>
    /// <param name="SqrtBc2">√(1 − β₂ᵗ).</param>
    public readonly record struct AdamSettings(float Lr, float Beta1, float Beta2, float Eps, float WeightDecay, bool Decoupled, float StepSize, float SqrtBc2);

    /// <summary>One Adam step over <paramref name="p"/> with first and second moments <paramref name="m"/>, <paramref name="v"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamSettings s)
    {
        CheckLengths(p.Length, g.Length, m.Length, "Adam");
        CheckLengths(p.Length, g.Length, v.Length, "Adam");
        fixed (float* pp = p, pg = g, pm = m, pv = v)
        {
            var job = (P: (nint)pp, G: (nint)pg, M: (nint)pm, V: (nint)pv, N: p.Length, Set: s);
            Workers.Run(Parts(p.Length), job, static (j, part) =>
            {
                var (lo, hi) = Range(j.N, part);
                AdamRange((float*)j.P, (float*)j.G, (float*)j.M, (float*)j.V, lo, hi, j.Set);
            });
        }
    }

    private static unsafe void AdamRange(float* p, float* g, float* m, float* v, int lo, int hi, in AdamSettings s)
    {
        int i = lo, w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var b1 = new Vector<float>(s.Beta1); var b2 = new Vector<float>(s.Beta2);
            var c1 = new Vector<float>(1 - s.Beta1); var c2 = new Vector<float>(1 - s.Beta2);
            var decay = new Vector<float>(1 - s.Lr * s.WeightDecay); var wd = new Vector<float>(s.WeightDecay);
            var step = new Vector<float>(s.StepSize); var sb = new Vector<float>(s.SqrtBc2); var eps = new Vector<float>(s.Eps);
            for (; i + w <= hi; i += w)
            {
                var gv = Vector.Load(g + i);
                var pv = Vector.Load(p + i);
                if (s.Decoupled) pv *= decay;
                else if (s.WeightDecay != 0) gv += wd * pv;
                var mv = b1 * Vector.Load(m + i) + c1 * gv;
                var vv = b2 * Vector.Load(v + i) + c2 * gv * gv;
                mv.Store(m + i);
                vv.Store(v + i);
                (pv - step * mv / (Vector.SquareRoot(vv) / sb + eps)).Store(p + i);
            }
        }
        for (; i < hi; i++) AdamOne(p, g, m, v, i, s);
    }

    internal static unsafe void AdamOne(float* p, float* g, float* m, float* v, int i, in AdamSettings s)
    {
        float gi = g[i];
        if (s.Decoupled) p[i] *= 1 - s.Lr * s.WeightDecay;
        else if (s.WeightDecay != 0) gi += s.WeightDecay * p[i];
        m[i] = s.Beta1 * m[i] + (1 - s.Beta1) * gi;
        v[i] = s.Beta2 * v[i] + (1 - s.Beta2) * gi * gi;
        p[i] -= s.StepSize * m[i] / (MathF.Sqrt(v[i]) / s.SqrtBc2 + s.Eps);
    }

    internal static void CheckLengths(int p, int g, int state, string op)
    {
        if (p != g || p != state)
            throw new ArgumentException($"ParamUpdate.{op}: lengths differ: parameter {p}, gradient {g}, state {state}");
    }

    private static int Parts(int n) => (n + PartLength - 1) / PartLength;

    private static (int Lo, int Hi) Range(int n, int part) => (part * PartLength, Math.Min(n, (part + 1) * PartLength));
}
