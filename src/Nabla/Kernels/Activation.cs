using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>ReLU forward and backward on spans, vectorised and split over <see cref="Workers"/> for large spans
/// (elementwise, so any split gives the same bits).</summary>
public static class Activation
{
    /// <summary>Elements per part when a span is split over the workers.</summary>
    private const int PartLength = 1 << 16;

    /// <summary>Effectively computes <c>y[i] = max(x[i], 0)</c> (NaN stays NaN).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"Activation.Relu: x has {x.Length} elements, y {y.Length}");
        fixed (float* px = x, py = y)
        {
            var job = (X: (nint)px, Y: (nint)py, N: x.Length);
            Workers.Run(Parts(x.Length), job, static (j, part) =>
            {
                var (lo, hi) = Range(j.N, part);
                TensorPrimitives.Max(new ReadOnlySpan<float>((float*)j.X + lo, hi - lo), 0f, new Span<float>((float*)j.Y + lo, hi - lo));
            });
        }
    }

    /// <summary>Effectively computes <c>d[i] += x[i] &gt; 0 ? g[i] : 0</c> (the gradient of ReLU, accumulated).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d)
    {
        if (x.Length != g.Length || x.Length != d.Length)
            throw new ArgumentException($"Activation.ReluBackward: lengths differ: x {x.Length}, g {g.Length}, d {d.Length}");
        fixed (float* px = x, pg = g, pd = d)
        {
            var job = (X: (nint)px, G: (nint)pg, D: (nint)pd, N: x.Length);
            Workers.Run(Parts(x.Length), job, static (j, part) =>
            {
                var (lo, hi) = Range(j.N, part);
                ReluBackwardRange((float*)j.X, (float*)j.G, (float*)j.D, lo, hi);
            });
        }
    }

    private static unsafe void ReluBackwardRange(float* x, float* g, float* d, int lo, int hi)
    {
        int i = lo;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= hi; i += 16)
            {
                var keep = Vector512.GreaterThan(Vector512.Load(x + i), Vector512<float>.Zero);
                var add = Vector512.ConditionalSelect(keep, Vector512.Load(g + i), Vector512<float>.Zero);
                (Vector512.Load(d + i) + add).Store(d + i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= hi; i += 8)
            {
                var keep = Vector256.GreaterThan(Vector256.Load(x + i), Vector256<float>.Zero);
                var add = Vector256.ConditionalSelect(keep, Vector256.Load(g + i), Vector256<float>.Zero);
                (Vector256.Load(d + i) + add).Store(d + i);
            }
        for (; i < hi; i++) if (x[i] > 0f) d[i] += g[i];
    }

    /// <summary>Effectively computes <c>d[i] = y[i] &gt; 0 ? g[i] : 0</c>: the gradient that reaches the input of a
    /// ReLU fused into the op before it, from the ReLU's output <paramref name="y"/> (y &gt; 0 exactly where the
    /// input was &gt; 0). Overwrites <paramref name="d"/>; one thread (callers run it inside their own parts).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe void ReluMask(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> d)
    {
        if (y.Length != g.Length || y.Length != d.Length)
            throw new ArgumentException($"Activation.ReluMask: lengths differ: y {y.Length}, g {g.Length}, d {d.Length}");
        fixed (float* py = y, pg = g, pd = d) ReluMaskCore(py, pg, pd, y.Length);
    }

    /// <summary><see cref="ReluMask"/> on <paramref name="rows"/> rows of <paramref name="n"/> floats: row r reads y and g
    /// at r·<paramref name="srcStride"/> and writes d at r·<paramref name="dstStride"/> (a convolution's output
    /// gradient for one image, NCHW, into the rows of its product layout), in one call instead of one per row.</summary>
    /// <exception cref="ArgumentException">A size is negative, a stride is below n, or a span is too short.</exception>
    public static unsafe void ReluMaskRows(ReadOnlySpan<float> y, ReadOnlySpan<float> g, int rows, int n, int srcStride, Span<float> d, int dstStride)
    {
        if (rows < 0 || n < 0 || srcStride < n || dstStride < n)
            throw new ArgumentException($"Activation.ReluMaskRows: need rows, n ≥ 0 and strides ≥ n; got rows {rows}, n {n}, strides {srcStride}, {dstStride}");
        if (rows == 0) return;
        long src = (long)(rows - 1) * srcStride + n, dst = (long)(rows - 1) * dstStride + n;
        if (y.Length < src || g.Length < src || d.Length < dst)
            throw new ArgumentException($"Activation.ReluMaskRows: spans too short: y {y.Length}, g {g.Length} (need {src}), d {d.Length} (need {dst})");
        fixed (float* py = y, pg = g, pd = d)
            for (int r = 0; r < rows; r++) ReluMaskCore(py + (long)r * srcStride, pg + (long)r * srcStride, pd + (long)r * dstStride, n);
    }

    /// <summary>d[r·dstStride + i] = s[r·srcStride + i] + bias[r] (when given), then max(·, 0) as <see cref="Relu"/> (when
    /// <paramref name="relu"/>; NaN stays NaN, −0 becomes +0), for <paramref name="rows"/> rows of <paramref name="n"/>: a
    /// convolution's product rows scattered to NCHW with the bias and the fused ReLU, in one call per image. The bias
    /// has one value per row, or is empty for none.</summary>
    /// <exception cref="ArgumentException">A size is negative, a stride is below n, the bias has the wrong length, or a span is too short.</exception>
    public static unsafe void BiasReluRows(ReadOnlySpan<float> s, int srcStride, int rows, int n, ReadOnlySpan<float> bias, bool relu, Span<float> d, int dstStride)
    {
        if (rows < 0 || n < 0 || srcStride < n || dstStride < n || (!bias.IsEmpty && bias.Length != rows))
            throw new ArgumentException($"Activation.BiasReluRows: need rows, n ≥ 0, strides ≥ n and one bias per row; got rows {rows}, n {n}, strides {srcStride}, {dstStride}, bias {bias.Length}");
        if (rows == 0) return;
        long src = (long)(rows - 1) * srcStride + n, dst = (long)(rows - 1) * dstStride + n;
        if (s.Length < src || d.Length < dst)
            throw new ArgumentException($"Activation.BiasReluRows: spans too short: s {s.Length} (need {src}), d {d.Length} (need {dst})");
        if (!Avx512F.IsSupported)
        {
            for (int r = 0; r < rows; r++) BiasReluRowScalar(s.Slice(r * srcStride, n), bias.IsEmpty ? null : bias[r], relu, d.Slice(r * dstStride, n));
            return;
        }
        fixed (float* ps = s, pd = d)
            for (int r = 0; r < rows; r++)
            {
                float* a = ps + (long)r * srcStride, o = pd + (long)r * dstStride;
                var b = Vector512.Create(bias.IsEmpty ? 0f : bias[r]);
                bool add = !bias.IsEmpty;
                for (int i = 0; i < n; i += 16)
                {
                    var live = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
                    var v = i + 16 <= n ? Vector512.Load(a + i) : Avx512F.MaskLoad(a + i, live, Vector512<float>.Zero);
                    if (add) v += b;
                    if (relu) v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v), v, Vector512<float>.Zero);
                    if (i + 16 <= n) v.Store(o + i);
                    else Avx512F.MaskStore(o + i, live, v);
                }
            }
    }

    /// <summary>The scalar fallback for one row of <see cref="BiasReluRows"/> without AVX-512 (and its twin in the tests): <c>TensorPrimitives.Add</c>, then
    /// <c>TensorPrimitives.Max(·, 0)</c> as <see cref="Relu"/>.</summary>
    internal static void BiasReluRowScalar(ReadOnlySpan<float> s, float? bias, bool relu, Span<float> d)
    {
        if (bias is { } b) TensorPrimitives.Add(s, b, d);
        else s.CopyTo(d);
        if (relu) TensorPrimitives.Max(d, 0f, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ReluMaskCore(float* py, float* pg, float* pd, int n)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 16 <= n; i += 16)
            {
                var keep = Vector512.GreaterThan(Vector512.Load(py + i), Vector512<float>.Zero);
                Vector512.ConditionalSelect(keep, Vector512.Load(pg + i), Vector512<float>.Zero).Store(pd + i);
            }
            if (i < n) // the last n − i < 16 elements under a mask (masked-off lanes read as 0, so they are not kept)
            {
                var live = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
                var keep = Vector512.GreaterThan(Avx512F.MaskLoad(py + i, live, Vector512<float>.Zero), Vector512<float>.Zero);
                Avx512F.MaskStore(pd + i, live, Avx512F.MaskLoad(pg + i, keep, Vector512<float>.Zero));
                i = n;
            }
        }
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
            {
                var keep = Vector256.GreaterThan(Vector256.Load(py + i), Vector256<float>.Zero);
                Vector256.ConditionalSelect(keep, Vector256.Load(pg + i), Vector256<float>.Zero).Store(pd + i);
            }
        for (; i < n; i++) pd[i] = py[i] > 0f ? pg[i] : 0f;
    }

    private static int Parts(int n) => (n + PartLength - 1) / PartLength;

    private static (int Lo, int Hi) Range(int n, int part) => (part * PartLength, Math.Min(n, (part + 1) * PartLength));
}
