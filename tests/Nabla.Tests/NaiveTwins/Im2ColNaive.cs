using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Im2Col"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class Im2ColNaive
{
    /// <summary>The reference im2col: one element at a time, straight from the definition.</summary>
    /// <exception cref="ArgumentException">As <see cref="Im2ColBatch.Unfold"/>.</exception>
    internal static void Unfold(ReadOnlySpan<float> x, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, Span<float> cols)
    {
        var (oh, ow) = Check(x.Length, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, cols.Length);
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
    /// <exception cref="ArgumentException">As <see cref="Im2ColBatch.Fold"/>.</exception>
    internal static void Fold(ReadOnlySpan<float> cols, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, Span<float> dx)
    {
        var (oh, ow) = Check(dx.Length, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, cols.Length);
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

    internal static (int Oh, int Ow) Check(int imageLength, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int colsLength)
    {
        if (c < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1)
            throw new ArgumentException(
                $"Im2Col: need c ≥ 0, h, w, kernel, stride, dilation ≥ 1 and padding ≥ 0; got c={c} h={h} w={w} " +
                $"kernel={kh}x{kw} stride={sh}x{sw} padding={ph}x{pw} dilation={dh}x{dw}");
        int oh = Im2Col.OutputSize(h, kh, sh, ph, dh), ow = Im2Col.OutputSize(w, kw, sw, pw, dw);
        if (oh < 1 || ow < 1)
            throw new ArgumentException(
                $"Im2Col: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit input {h}x{w} with padding {ph}x{pw}");
        long image = (long)c * h * w, columns = (long)c * kh * kw * oh * ow;
        if (imageLength < image)
            throw new ArgumentException($"Im2Col: image span needs {image} elements ({c}x{h}x{w}), has {imageLength}");
        if (colsLength < columns)
            throw new ArgumentException(
                $"Im2Col: column span needs {columns} elements ({c * kh * kw}x{oh * ow}), has {colsLength}");
        return (oh, ow);
    }
}
