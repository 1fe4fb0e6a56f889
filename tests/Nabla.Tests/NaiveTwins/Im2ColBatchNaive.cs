using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Im2ColBatch"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class Im2ColBatchNaive
{
    /// <summary>The reference: <see cref="Im2ColNaive.Unfold"/> per image, columns copied into place.</summary>
    /// <exception cref="ArgumentException">As <see cref="Im2ColBatch.Unfold"/>.</exception>
    internal static void Unfold(ReadOnlySpan<float> x, int images, int imageStride, int c, int h, int w, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, Span<float> cols)
    {
        var (oh, ow) = Im2ColBatch.Check(x.Length, images, imageStride, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), cols.Length);
        int p = oh * ow, k = c * kh * kw;
        var one = new float[k * p];
        for (int b = 0; b < images; b++)
        {
            Im2ColNaive.Unfold(x.Slice(b * imageStride, c * h * w), c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, one);
            for (int r = 0; r < k; r++) one.AsSpan(r * p, p).CopyTo(cols.Slice(r * images * p + b * p, p));
        }
    }

    /// <summary>The reference: columns copied out per image, then <see cref="Im2ColNaive.Fold"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Im2ColBatch.Fold"/>.</exception>
    internal static void Fold(ReadOnlySpan<float> cols, int images, int imageStride, int c, int h, int w, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, Span<float> dx)
    {
        var (oh, ow) = Im2ColBatch.Check(dx.Length, images, imageStride, c, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), cols.Length);
        int p = oh * ow, k = c * kh * kw;
        var one = new float[k * p];
        for (int b = 0; b < images; b++)
        {
            for (int r = 0; r < k; r++) cols.Slice(r * images * p + b * p, p).CopyTo(one.AsSpan(r * p, p));
            Im2ColNaive.Fold(one, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, dx.Slice(b * imageStride, c * h * w));
        }
    }
}
