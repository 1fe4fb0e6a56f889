namespace Nabla.Kernels;

/// <summary>
/// Lowers a 2-D convolution to a matrix product: im2col gathers every receptive window of one image into a
/// column, col2im scatters columns back (accumulating), so that conv = W · cols and its input gradient is
/// col2im(Wᵀ · dY).
/// </summary>
public static class ConvLowering
{
    /// <summary>
    /// Effectively <c>cols[(ci·kh + a)·kw + b, i·ow + j] = x[ci, i·sh − ph + a·dh, j·sw − pw + b·dw]</c> (0 outside),
    /// one image of shape (c, h, w); cols has row stride <paramref name="ldCols"/> ≥ oh·ow.
    /// </summary>
    public static void Im2Col(ReadOnlySpan<float> x, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
        int dh, int dw, int oh, int ow, Span<float> cols, int ldCols)
    {
        for (int ci = 0; ci < c; ci++)
            for (int a = 0; a < kh; a++)
                for (int b = 0; b < kw; b++)
                {
                    var row = cols.Slice(((ci * kh + a) * kw + b) * ldCols, oh * ow);
                    for (int i = 0; i < oh; i++)
                    {
                        int y = i * sh - ph + a * dh;
                        var dst = row.Slice(i * ow, ow);
                        if ((uint)y >= (uint)h) { dst.Clear(); continue; }
                        var src = x.Slice((ci * h + y) * w, w);
                        int x0 = -pw + b * dw;
                        if (sw == 1 && x0 >= 0 && x0 + ow <= w) { src.Slice(x0, ow).CopyTo(dst); continue; }
                        for (int j = 0; j < ow; j++)
                        {
                            int xx = x0 + j * sw;
                            dst[j] = (uint)xx < (uint)w ? src[xx] : 0f;
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: effectively <c>dx[ci, y, x] += Σ cols[...]</c> over every
    /// window position that read (ci, y, x).</summary>
    public static void Col2Im(ReadOnlySpan<float> cols, int ldCols, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int oh, int ow, Span<float> dx)
    {
        for (int ci = 0; ci < c; ci++)
            for (int a = 0; a < kh; a++)
                for (int b = 0; b < kw; b++)
                {
                    var row = cols.Slice(((ci * kh + a) * kw + b) * ldCols, oh * ow);
                    for (int i = 0; i < oh; i++)
                    {
                        int y = i * sh - ph + a * dh;
                        if ((uint)y >= (uint)h) continue;
                        var dst = dx.Slice((ci * h + y) * w, w);
                        var src = row.Slice(i * ow, ow);
                        int x0 = -pw + b * dw;
                        for (int j = 0; j < ow; j++)
                        {
                            int xx = x0 + j * sw;
                            if ((uint)xx < (uint)w) dst[xx] += src[j];
                        }
                    }
                }
    }
}
