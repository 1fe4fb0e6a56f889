using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Im2Col"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class Im2ColNaive
{
    /// <summary>The reference im2col: one element at a time, straight from the definition.</summary>
    /// <exception cref="ArgumentException">As <see cref="Im2Col.Unfold"/>.</exception>
    internal static void Unfold(ReadOnlySpan<float> x, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, Span<float> cols)
    {
        var (oh, ow) = Im2Col.Check(x.Length, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, cols.Length);
        for (int ci = 0; ci < c; ci++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
                            bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                            cols[(((ci * kh + i) * kw + j) * oh + oy) * ow + ox] = inside ? x[(ci * h + iy) * w + ix] : 0f;
                        }
    }

    /// <summary>The reference col2im: one element at a time, straight from the definition.</summary>
    /// <exception cref="ArgumentException">As <see cref="Im2Col.Fold"/>.</exception>
    internal static void Fold(ReadOnlySpan<float> cols, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, Span<float> dx)
    {
        var (oh, ow) = Im2Col.Check(dx.Length, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, cols.Length);
        for (int ci = 0; ci < c; ci++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                dx[(ci * h + iy) * w + ix] += cols[(((ci * kh + i) * kw + j) * oh + oy) * ow + ox];
                        }
    }
}
