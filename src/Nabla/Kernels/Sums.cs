using System.Runtime.CompilerServices;
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
        if (Vector512.IsHardwareAccelerated && n >= 32) s = SumVectors<Wide512, Vector512<double>>(p, relu, n, out i);
        else if (Vector256.IsHardwareAccelerated && n >= 16) s = SumVectors<Wide256, Vector256<double>>(p, relu, n, out i);
        for (; i < n; i++) s += relu == null || relu[i] > 0f ? p[i] : 0f;
        return s;
    }

    /// <summary>The vector part of <see cref="Sum"/> for one width: steps of two float vectors, each widened into two
    /// double accumulators, then (s0 + s1) + (s2 + s3) summed; <paramref name="done"/> is left past the last step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe double SumVectors<T, TD>(float* p, float* relu, int n, out int done) where T : struct, IWideStep<TD> where TD : struct
    {
        int w = T.Lanes, i = 0;
        TD s0 = default, s1 = default, s2 = default, s3 = default;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            T.Add(p, relu, i, ref s0, ref s1);
            T.Add(p, relu, i + w, ref s2, ref s3);
        }
        done = i;
        return T.Sum(s0, s1, s2, s3);
    }

    /// <summary>One vector width for <see cref="SumVectors"/>: the float vector at i (masked by relu &gt; 0 when given)
    /// widened and added into two double accumulators, and the sum of all lanes of (s0 + s1) + (s2 + s3).</summary>
    private interface IWideStep<TD> where TD : struct
    {
        static abstract int Lanes { get; }
        static abstract unsafe void Add(float* p, float* relu, int i, ref TD lo, ref TD hi);
        static abstract double Sum(TD s0, TD s1, TD s2, TD s3);
    }

    private readonly struct Wide512 : IWideStep<Vector512<double>>
    {
        public static int Lanes => 16;
        public static unsafe void Add(float* p, float* relu, int i, ref Vector512<double> lo, ref Vector512<double> hi) { var (a, b) = Vector512.Widen(Load512(p, relu, i)); lo += a; hi += b; }
        public static double Sum(Vector512<double> s0, Vector512<double> s1, Vector512<double> s2, Vector512<double> s3) => Vector512.Sum((s0 + s1) + (s2 + s3));
    }

    private readonly struct Wide256 : IWideStep<Vector256<double>>
    {
        public static int Lanes => 8;
        public static unsafe void Add(float* p, float* relu, int i, ref Vector256<double> lo, ref Vector256<double> hi) { var (a, b) = Vector256.Widen(Load256(p, relu, i)); lo += a; hi += b; }
        public static double Sum(Vector256<double> s0, Vector256<double> s1, Vector256<double> s2, Vector256<double> s3) => Vector256.Sum((s0 + s1) + (s2 + s3));
    }

    private static unsafe Vector512<float> Load512(float* p, float* relu, int i) => relu == null ? Vector512.Load(p + i)
        : Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(relu + i), Vector512<float>.Zero), Vector512.Load(p + i), Vector512<float>.Zero);

    private static unsafe Vector256<float> Load256(float* p, float* relu, int i) => relu == null ? Vector256.Load(p + i)
        : Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(relu + i), Vector256<float>.Zero), Vector256.Load(p + i), Vector256<float>.Zero);
}
