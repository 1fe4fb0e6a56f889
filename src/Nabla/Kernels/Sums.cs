using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>Sums of float spans accumulated in double (bias gradients, where gradient checks need the accuracy).</summary>
public static class Sums
{
    /// <summary>Σ x[i] in double: every float is exact in double; eight double lanes times four accumulators, then
    /// a fixed-order reduction, then the tail in order. Depends on the span only (never on threads).</summary>
    public static unsafe double SumAsDouble(ReadOnlySpan<float> x)
    {
        fixed (float* p = x) return Sum(p, null, x.Length);
    }

    /// <summary>Σ (y[i] &gt; 0 ? g[i] : 0) in double: the sum of a gradient behind a ReLU whose outputs are y (as
    /// <see cref="Activation.ReluMask"/> then <see cref="SumAsDouble"/>, in the same lanes and order, without the masked copy).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe double ReluMaskedSumAsDouble(ReadOnlySpan<float> y, ReadOnlySpan<float> g)
    {
        if (y.Length != g.Length) throw new ArgumentException($"Sums.ReluMaskedSumAsDouble: lengths differ: y {y.Length}, g {g.Length}");
        fixed (float* py = y, p = g) return Sum(p, py, g.Length);
    }

    /// <summary>The one loop of both sums: x[i], or x[i] where relu[i] &gt; 0 when <paramref name="relu"/> is given.</summary>
    private static unsafe double Sum(float* p, float* relu, int n)
    {
        int i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 32)
        {
            Vector512<double> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 32 <= n; i += 32)
            {
                var (a0, a1) = Vector512.Widen(Load512(p, relu, i));
                var (b0, b1) = Vector512.Widen(Load512(p, relu, i + 16));
                s0 += a0; s1 += a1; s2 += b0; s3 += b1;
            }
            s = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 16 <= n; i += 16)
            {
                var (a0, a1) = Vector256.Widen(Load256(p, relu, i));
                var (b0, b1) = Vector256.Widen(Load256(p, relu, i + 8));
                s0 += a0; s1 += a1; s2 += b0; s3 += b1;
            }
            s = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        for (; i < n; i++) s += relu == null || relu[i] > 0f ? p[i] : 0f;
        return s;
    }

    private static unsafe Vector512<float> Load512(float* p, float* relu, int i) => relu == null ? Vector512.Load(p + i)
        : Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(relu + i), Vector512<float>.Zero), Vector512.Load(p + i), Vector512<float>.Zero);

    private static unsafe Vector256<float> Load256(float* p, float* relu, int i) => relu == null ? Vector256.Load(p + i)
        : Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(relu + i), Vector256<float>.Zero), Vector256.Load(p + i), Vector256<float>.Zero);
}
