using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Sums"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class SumsNaive
{
    /// <summary>The reference: Σ x[i] in double, in index order.</summary>
    internal static double SumAsDouble(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += v;
        return s;
    }
}
