using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Robustness;

/// <summary>
/// Issue 21 (heap corruption): every destination of the unsafe conv/GEMM kernels is placed inside a larger array
/// between runs of canary values, at the awkward geometries (padding ≥ kernel, input smaller than kernel, 1x1 and tiny
/// outputs, several images, tails of every vector width); a canary that changes is a store outside the span, which
/// in the library lands in whatever object the heap placed after a scratch buffer.
/// </summary>
public class KernelCanaryTests
{
    private const int Pad = 48;
    private const float Canary = -7.25e30f;

    /// <summary>A destination of <paramref name="length"/> floats (random values) with <see cref="Pad"/> canaries either side.</summary>
    private static float[] Guarded(Random rng, int length)
    {
        var a = new float[Pad + length + Pad];
        Array.Fill(a, Canary);
        for (int i = 0; i < length; i++) a[Pad + i] = (float)(rng.NextDouble() - 0.5);
        return a;
    }

    private static Span<float> Inside(float[] a) => a.AsSpan(Pad, a.Length - 2 * Pad);

    private static void AssertCanaries(float[] a, string what)
    {
        for (int i = 0; i < Pad; i++)
        {
            if (a[i] != Canary) throw new Xunit.Sdk.XunitException($"{what}: wrote {Pad - i} floats before its span");
            if (a[^(i + 1)] != Canary) throw new Xunit.Sdk.XunitException($"{what}: wrote {Pad - i} floats past its span");
        }
    }

    private static float[] Random(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        return a;
    }

    /// <summary>The stride-1 unfold and fold (Im2ColUnit) and the general ones (Im2ColBatch, with strides and
    /// dilations) at every small geometry: 1 to 3 images, inputs smaller than the kernel, padding up to 4.</summary>
    [Fact]
    public void Im2Col_UnfoldAndFold_StayInsideTheirSpans()
    {
        var rng = new Random(21);
        int checkedCalls = 0;
        foreach (int images in new[] { 1, 2, 3 })
            foreach (int c in new[] { 1, 2 })
                foreach (var (h, w) in new[] { (1, 1), (1, 3), (2, 2), (3, 2), (2, 5), (4, 17), (1, 33) })
                    foreach (var (kh, kw) in new[] { (1, 1), (1, 3), (3, 1), (2, 2), (3, 3), (5, 3) })
                        foreach (var (ph, pw) in new[] { (0, 0), (1, 0), (0, 2), (2, 2), (4, 3) })
                            foreach (var (sh, sw, dh, dw) in new[] { (1, 1, 1, 1), (2, 3, 1, 1), (1, 1, 2, 1), (3, 1, 1, 2) })
                            {
                                int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
                                if (h + 2 * ph - dh * (kh - 1) - 1 < 0 || w + 2 * pw - dw * (kw - 1) - 1 < 0) continue;
                                int stride = c * h * w, colsLength = c * kh * kw * images * oh * ow;
                                var x = Random(rng, images * stride);
                                var cols = Guarded(rng, colsLength);
                                var dx = Guarded(rng, images * stride);
                                string at = $"images={images} c={c} {h}x{w} kernel {kh}x{kw} pad {ph}x{pw} stride {sh}x{sw} dilation {dh}x{dw}";
                                bool unit = sh == 1 && sw == 1 && dh == 1 && dw == 1;
                                if (unit)
                                {
                                    Im2ColUnit.Unfold(x, images, stride, c, h, w, new Window2d(kh, kw, 1, 1, ph, pw, 1, 1), Inside(cols));
                                    AssertCanaries(cols, "Im2ColUnit.Unfold " + at);
                                    Im2ColUnit.Fold(Inside(cols), images, stride, c, h, w, new Window2d(kh, kw, 1, 1, ph, pw, 1, 1), Inside(dx));
                                    AssertCanaries(dx, "Im2ColUnit.Fold " + at);
                                }
                                Im2ColBatch.Unfold(x, images, stride, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), Inside(cols));
                                AssertCanaries(cols, "Im2ColBatch.Unfold " + at);
                                Im2ColBatch.Fold(Inside(cols), images, stride, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), Inside(dx));
                                AssertCanaries(dx, "Im2ColBatch.Fold " + at);
                                checkedCalls++;
                            }
        Assert.True(checkedCalls > 1000, $"only {checkedCalls} geometries ran");
    }

    /// <summary>SmallGemm's four products and Gemm.Sgemm (direct and packed) at every row count up to the kernels'
    /// widths and column/depth tails around each vector width, with C's rows tightly packed (ldc = n).</summary>
    [Fact]
    public void Products_StayInsideTheirSpans()
    {
        var rng = new Random(2121);
        int[] ns = [1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 65];
        int[] ks = [1, 2, 5, 15, 16, 17, 30, 33];
        for (int m = 1; m <= SmallGemm.MaxM; m++)
            foreach (int n in ns)
                foreach (int k in ks)
                {
                    string at = $"m={m} n={n} k={k}";
                    var a = Random(rng, m * k);
                    var b = Random(rng, k * n);
                    var c = Guarded(rng, m * n);
                    SmallGemm.Multiply(m, n, k, a, k, b, n, Inside(c), n);
                    AssertCanaries(c, "SmallGemm.Multiply " + at);
                    SmallGemm.MultiplyTransposedA(m, n, k, Random(rng, k * m), m, b, n, Inside(c), n);
                    AssertCanaries(c, "SmallGemm.MultiplyTransposedA " + at);
                    var bt = Random(rng, n * k); // B stored n x k
                    var ct = Guarded(rng, m * n);
                    SmallGemm.MultiplyTransposedB(m, n, k, a, k, bt, k, Inside(ct), n, accumulate: true);
                    AssertCanaries(ct, "SmallGemm.MultiplyTransposedB " + at);
                    SmallGemm.MultiplyTransposedBPanel(m, n, k, a, k, bt, k, Inside(ct), n, accumulate: false);
                    AssertCanaries(ct, "SmallGemm.MultiplyTransposedBPanel " + at);
                }
        foreach (int m in new[] { 1, 3, 8, 13, 17, 40 })
            foreach (int n in ns)
                foreach (int k in ks)
                    foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
                    {
                        var a = Random(rng, m * k);
                        var b = Random(rng, k * n);
                        var c = Guarded(rng, m * n);
                        Gemm.Sgemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, Inside(c), n, 1f);
                        AssertCanaries(c, $"Gemm.Sgemm transA={ta} transB={tb} m={m} n={n} k={k}");
                    }
    }
    /// <summary>Max pooling (forward values and arguments, both backwards) and the one-channel direct convolution with
    /// its weight gradient, at outputs of 1 to 33 columns, windows larger than the stride and padding up to half the window.</summary>
    [Fact]
    public void PoolAndDirectConv_StayInsideTheirSpans()
    {
        var rng = new Random(2122);
        foreach (int planes in new[] { 1, 3 })
            foreach (var (h, w) in new[] { (1, 1), (2, 2), (3, 5), (4, 17), (5, 33), (2, 64) })
                foreach (var (kh, kw, sh, sw, ph, pw) in new[] { (1, 1, 1, 1, 0, 0), (2, 2, 2, 2, 0, 0), (3, 3, 1, 1, 1, 1), (3, 2, 3, 1, 1, 0), (2, 3, 1, 2, 0, 1) })
                {
                    int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1;
                    if (h + 2 * ph < kh || w + 2 * pw < kw) continue;
                    string at = $"planes={planes} {h}x{w} window {kh}x{kw} stride {sh}x{sw} pad {ph}x{pw}";
                    var x = Random(rng, planes * h * w);
                    var y = Guarded(rng, planes * oh * ow);
                    var arg = new int[Pad + planes * oh * ow + Pad];
                    Array.Fill(arg, int.MinValue);
                    Pool.MaxPool2d(x, planes, h, w, new Window2d(kh, kw, sh, sw, ph, pw, 1, 1), oh, ow, Inside(y), arg.AsSpan(Pad, planes * oh * ow));
                    AssertCanaries(y, "Pool.MaxPool2d " + at);
                    Assert.True(arg.Take(Pad).Concat(arg.TakeLast(Pad)).All(v => v == int.MinValue), "Pool.MaxPool2d arguments: " + at);
                    var args = arg.AsSpan(Pad, planes * oh * ow).ToArray();
                    var dx = Guarded(rng, planes * h * w);
                    Pool.MaxPool2dBackward(Random(rng, planes * oh * ow), args, planes, h * w, oh * ow, Inside(dx));
                    AssertCanaries(dx, "Pool.MaxPool2dBackward " + at);
                    if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0)
                    {
                        Pool.MaxPool2x2Backward(Random(rng, planes * oh * ow), args, planes, h, w, Inside(dx));
                        AssertCanaries(dx, "Pool.MaxPool2x2Backward " + at);
                    }
                }
        foreach (int n in new[] { 1, 2, 3 })
            foreach (int cout in new[] { 1, 6, 9, 16 })
                foreach (var (h, w) in new[] { (1, 1), (3, 2), (5, 5), (4, 17), (6, 33) })
                    foreach (var (kh, kw, ph, pw) in new[] { (1, 1, 0, 0), (3, 3, 1, 1), (5, 5, 2, 2), (5, 3, 4, 3), (7, 7, 3, 3) })
                    {
                        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
                        if (oh < 1 || ow < 1) continue;
                        string at = $"n={n} cout={cout} {h}x{w} kernel {kh}x{kw} pad {ph}x{pw}";
                        var x = Random(rng, n * h * w);
                        var y = Guarded(rng, n * cout * oh * ow);
                        DirectConv.Conv1(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, Random(rng, cout * kh * kw), Random(rng, cout), Inside(y), relu: true);
                        AssertCanaries(y, "DirectConv.Conv1 " + at);
                        int slots = Math.Min(n, 4);
                        var part = Guarded(rng, slots * cout * kh * kw);
                        DirectConv.FilterGrad1(Geo.Full(n, 1, h, w, cout, kh, kw, 1, 1, ph, pw, 1, 1), x, Random(rng, n * cout * oh * ow), default, slots, Inside(part));
                        AssertCanaries(part, "DirectConv.FilterGrad1 " + at);
                    }
    }
}
