using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Activation"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class ActivationNaive
{
    /// <summary>The reference: one element at a time. Same contract as <see cref="Activation.ReluBackward"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    internal static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d)
    {
        if (x.Length != g.Length || x.Length != d.Length)
            throw new ArgumentException($"Activation.ReluBackwardNaive: lengths differ: x {x.Length}, g {g.Length}, d {d.Length}");
        for (int i = 0; i < d.Length; i++) if (x[i] > 0f) d[i] += g[i];
    }

    /// <summary>The reference: one element at a time. Same contract as <see cref="Activation.ReluMask"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    internal static void ReluMask(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> d)
    {
        if (y.Length != g.Length || y.Length != d.Length)
            throw new ArgumentException($"Activation.ReluMaskNaive: lengths differ: y {y.Length}, g {g.Length}, d {d.Length}");
        for (int i = 0; i < d.Length; i++) d[i] = y[i] > 0f ? g[i] : 0f;
    }
}
