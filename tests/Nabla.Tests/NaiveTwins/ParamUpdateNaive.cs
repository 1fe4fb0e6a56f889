using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="ParamUpdate"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class ParamUpdateNaive
{
    /// <summary>The reference: one element at a time, the textbook formulas. Same contract as <see cref="ParamUpdate.Sgd"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    internal static unsafe void Sgd(Span<float> p, ReadOnlySpan<float> g, Span<float> state, in ParamUpdate.SgdSettings s)
    {
        ParamUpdate.CheckLengths(p.Length, g.Length, s.Momentum == 0 ? p.Length : state.Length, "SgdNaive");
        fixed (float* pp = p, pg = g, ps = state)
            for (int i = 0; i < p.Length; i++) ParamUpdate.SgdOne(pp, pg, ps, i, s);
    }

    /// <summary>The reference: one element at a time. Same contract as <see cref="ParamUpdate.Adam"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    internal static unsafe void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in ParamUpdate.AdamSettings s)
    {
        ParamUpdate.CheckLengths(p.Length, g.Length, m.Length, "AdamNaive");
        ParamUpdate.CheckLengths(p.Length, g.Length, v.Length, "AdamNaive");
        fixed (float* pp = p, pg = g, pm = m, pv = v)
            for (int i = 0; i < p.Length; i++) ParamUpdate.AdamOne(pp, pg, pm, pv, i, s);
    }
}
