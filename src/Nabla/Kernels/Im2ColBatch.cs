namespace Nabla.Kernels;

/// <summary>
/// im2col and col2im over several images at once, so that a convolution of a batch becomes one wide matrix
/// product instead of one small product per image: image b's columns sit at column offset b·P of a
/// (C·kh·kw) x (B·P) matrix, P = OH·OW.
/// </summary>
/// <remarks>
/// <c>cols[r, b·P + q]</c> is image b's column q in <see cref="Im2Col"/>'s layout. Images are <c>imageStride</c> apart in the image span
/// (C·H·W for a whole image; larger when the channels are a group's slice of a wider image).
/// </remarks>
public static class Im2ColBatch
{
    /// <summary>Batched im2col: every receptive field of each of <paramref name="images"/> images as a column.</summary>
    /// <param name="win">The window: kernel, stride, padding, dilation.</param>
    /// <param name="x">The first image's C x H x W, then the next ones <paramref name="imageStride"/> apart.</param>
    /// <param name="images">Number of images B.</param>
    /// <param name="imageStride">Distance between consecutive images in <paramref name="x"/> (≥ C·H·W).</param>
    /// <param name="c">Channels C.</param>
    /// <param name="h">Height H.</param>
    /// <param name="w">Width W.</param>
    /// <param name="cols">Destination (C·kh·kw) x (B·OH·OW); every element is written.</param>
    /// <exception cref="ArgumentException">Sizes out of range or spans too short.</exception>
    public static unsafe void Unfold(ReadOnlySpan<float> x, int images, int imageStride, int c, int h, int w, in Window2d win, Span<float> cols)
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        var (oh, ow) = Check(x.Length, images, imageStride, c, h, w, win, cols.Length);
        int p = oh * ow, ld = images * p;
        fixed (float* px = x, pcols = cols)
        {
            for (int b = 0; b < images; b++)
            {
                float* image = px + (long)b * imageStride;
                for (int ci = 0; ci < c; ci++)
                {
                    float* plane = image + (long)ci * h * w;
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                        {
                            float* dst = pcols + (long)((ci * kh + i) * kw + j) * ld + (long)b * p;
                            var (lo, hi) = ValidRange(ow, w, sw, pw, j * dw);
                            for (int oy = 0; oy < oh; oy++, dst += ow)
                            {
                                int iy = oy * sh - ph + i * dh;
                                if ((uint)iy >= (uint)h || lo >= hi) { new Span<float>(dst, ow).Clear(); continue; }
                                for (int ox = 0; ox < lo; ox++) dst[ox] = 0f;
                                for (int ox = hi; ox < ow; ox++) dst[ox] = 0f;
                                float* src = plane + (long)iy * w + (lo * sw - pw + j * dw);
                                if (sw == 1) new ReadOnlySpan<float>(src, hi - lo).CopyTo(new Span<float>(dst + lo, hi - lo));
                                else for (int ox = lo; ox < hi; ox++, src += sw) dst[ox] = *src;
                            }
                        }
                }
            }
        }
    }

    /// <summary>Batched col2im: adds every column back into its receptive field of its image (the adjoint of
    /// <see cref="Unfold"/>).</summary>
    /// <param name="win">The window: kernel, stride, padding, dilation.</param>
    /// <param name="cols">(C·kh·kw) x (B·OH·OW).</param>
    /// <param name="images">Number of images B.</param>
    /// <param name="imageStride">Distance between consecutive images in <paramref name="dx"/>.</param>
    /// <param name="c">Channels C.</param>
    /// <param name="h">Height H.</param>
    /// <param name="w">Width W.</param>
    /// <param name="dx">The images, accumulated into (<c>+=</c>), never cleared.</param>
    /// <exception cref="ArgumentException">Sizes out of range or spans too short.</exception>
    public static unsafe void Fold(ReadOnlySpan<float> cols, int images, int imageStride, int c, int h, int w, in Window2d win, Span<float> dx)
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        var (oh, ow) = Check(dx.Length, images, imageStride, c, h, w, win, cols.Length);
        int p = oh * ow, ld = images * p;
        fixed (float* pcols = cols, pdx = dx)
        {
            for (int b = 0; b < images; b++)
            {
                float* image = pdx + (long)b * imageStride;
                for (int ci = 0; ci < c; ci++)
                {
                    float* plane = image + (long)ci * h * w;
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                        {
                            float* src = pcols + (long)((ci * kh + i) * kw + j) * ld + (long)b * p;
                            var (lo, hi) = ValidRange(ow, w, sw, pw, j * dw);
                            for (int oy = 0; oy < oh; oy++, src += ow)
                            {
                                int iy = oy * sh - ph + i * dh;
                                if ((uint)iy >= (uint)h || lo >= hi) continue;
                                float* dst = plane + (long)iy * w + (lo * sw - pw + j * dw);
                                if (sw == 1)
                                    System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(dst, hi - lo),
                                        new ReadOnlySpan<float>(src + lo, hi - lo), new Span<float>(dst, hi - lo));
                                else for (int ox = lo; ox < hi; ox++, dst += sw) *dst += src[ox];
                            }
                        }
                }
            }
        }
    }

    private static (int Lo, int Hi) ValidRange(int outSize, int size, int stride, int pad, int offset)
    {
        int first = pad - offset;
        int lo = first <= 0 ? 0 : (first + stride - 1) / stride;
        int last = size - 1 + pad - offset;
        int hi = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        return (Math.Min(lo, hi), hi);
    }

    internal static (int Oh, int Ow) Check(int imageLength, int images, int imageStride, int c, int h, int w, in Window2d win, int colsLength)
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        if (images < 0 || c < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1)
            throw new ArgumentException(
                $"Im2ColBatch: need images, c ≥ 0, h, w, kernel, stride, dilation ≥ 1 and padding ≥ 0; got images={images} c={c} h={h} w={w} " +
                $"kernel={kh}x{kw} stride={sh}x{sw} padding={ph}x{pw} dilation={dh}x{dw}");
        int oh = Im2Col.OutputSize(h, kh, sh, ph, dh), ow = Im2Col.OutputSize(w, kw, sw, pw, dw);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"Im2ColBatch: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit input {h}x{w} with padding {ph}x{pw}");
        long image = (long)c * h * w;
        if (images > 1 && imageStride < image)
            throw new ArgumentException($"Im2ColBatch: image stride {imageStride} is less than an image ({c}x{h}x{w})");
        long need = images == 0 ? 0 : (long)(images - 1) * imageStride + image;
        long columns = (long)c * kh * kw * images * oh * ow;
        if (imageLength < need)
            throw new ArgumentException($"Im2ColBatch: image span needs {need} elements ({images} images of {c}x{h}x{w}, stride {imageStride}), has {imageLength}");
        if (colsLength < columns)
            throw new ArgumentException($"Im2ColBatch: column span needs {columns} elements ({c * kh * kw}x{images * oh * ow}), has {colsLength}");
        return (oh, ow);
    }
}
