using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="DropoutMask"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class DropoutMaskNaive
{
    /// <summary>The reference: one element at a time through <see cref="DropoutMask.Mask"/>. Same contract as <see cref="DropoutMask.Apply"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, or p is outside [0, 1].</exception>
    internal static void Apply(ulong key, float p, ReadOnlySpan<float> src, Span<float> dst, bool accumulate)
    {
        DropoutMask.Check(p, src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++)
        {
            float v = src[i] * DropoutMask.Mask(key, p, i);
            dst[i] = accumulate ? dst[i] + v : v;
        }
    }
}
