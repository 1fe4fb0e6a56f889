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
        var (oh, ow) = Check(x.Length, images, imageStride, c, h, w, win, cols.Length);
        fixed (float* px = x, pcols = cols) Walk<Gather>(pcols, px, images, imageStride, c, h, w, win, oh, ow);
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
        var (oh, ow) = Check(dx.Length, images, imageStride, c, h, w, win, cols.Length);
        fixed (float* pcols = cols, pdx = dx) Walk<Scatter>(pcols, pdx, images, imageStride, c, h, w, win, oh, ow);
    }

    /// <summary>What <see cref="Walk"/> does with one output row of one tap: <paramref name="col"/> is the row's
    /// <paramref name="ow"/> columns; when <paramref name="inside"/> (its input row exists and some column reads inside
    /// the image), columns [<paramref name="lo"/>, <paramref name="hi"/>) read the input at <paramref name="image"/>,
    /// <paramref name="sw"/> apart, and the others read padding.</summary>
    private interface IRowOp
    {
        static abstract unsafe void Row(float* col, float* image, int lo, int hi, int ow, int sw, bool inside);
    }

    /// <summary>im2col's row: the inputs into the columns, zeros for the padding.</summary>
    private readonly struct Gather : IRowOp
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static unsafe void Row(float* col, float* image, int lo, int hi, int ow, int sw, bool inside)
        {
            if (!inside) { new Span<float>(col, ow).Clear(); return; }
            for (int ox = 0; ox < lo; ox++) col[ox] = 0f;
            for (int ox = hi; ox < ow; ox++) col[ox] = 0f;
            if (sw == 1) new ReadOnlySpan<float>(image, hi - lo).CopyTo(new Span<float>(col + lo, hi - lo));
            else for (int ox = lo; ox < hi; ox++, image += sw) col[ox] = *image;
        }
    }

    /// <summary>col2im's row: the columns added into the inputs they read (padding columns go nowhere).</summary>
    private readonly struct Scatter : IRowOp
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static unsafe void Row(float* col, float* image, int lo, int hi, int ow, int sw, bool inside)
        {
            if (!inside) return;
            if (sw == 1)
                System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(image, hi - lo),
                    new ReadOnlySpan<float>(col + lo, hi - lo), new Span<float>(image, hi - lo));
            else for (int ox = lo; ox < hi; ox++, image += sw) *image += col[ox];
        }
    }

    /// <summary>Visits every (image, channel, tap, output row) of the batched layout in memory order of the images and
    /// hands each row of columns with the input row it reads to <typeparamref name="TOp"/>.</summary>
    private static unsafe void Walk<TOp>(float* cols, float* x, int images, int imageStride, int c, int h, int w, in Window2d win, int oh, int ow)
        where TOp : struct, IRowOp
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        int p = oh * ow, ld = images * p;
        for (int b = 0; b < images; b++)
        {
            float* image = x + (long)b * imageStride;
            for (int ci = 0; ci < c; ci++)
            {
                float* plane = image + (long)ci * h * w;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        float* col = cols + (long)((ci * kh + i) * kw + j) * ld + (long)b * p;
                        var (lo, hi) = ValidRange(ow, w, sw, pw, j * dw);
                        for (int oy = 0; oy < oh; oy++, col += ow)
                        {
                            int iy = oy * sh - ph + i * dh;
                            bool inside = (uint)iy < (uint)h && lo < hi;
                            TOp.Row(col, inside ? plane + (long)iy * w + (lo * sw - pw + j * dw) : plane, lo, hi, ow, sw, inside);
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

    /// <summary>The checks of <see cref="Unfold"/> and <see cref="Fold"/> (and of <see cref="Im2ColUnit"/>'s, whose
    /// messages name <paramref name="kernel"/>): the output size, or an exception naming the size or span at fault.</summary>
    internal static (int Oh, int Ow) Check(int imageLength, int images, int imageStride, int c, int h, int w, in Window2d win, int colsLength,
        string kernel = nameof(Im2ColBatch))
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        if (images < 0 || c < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1)
            throw new ArgumentException(
                $"{kernel}: need images, c ≥ 0, h, w, kernel, stride, dilation ≥ 1 and padding ≥ 0; got images={images} c={c} h={h} w={w} " +
                $"kernel={kh}x{kw} stride={sh}x{sw} padding={ph}x{pw} dilation={dh}x{dw}");
        int oh = Im2Col.OutputSize(h, kh, sh, ph, dh), ow = Im2Col.OutputSize(w, kw, sw, pw, dw);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{kernel}: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit input {h}x{w} with padding {ph}x{pw}");
        long image = (long)c * h * w;
        if (images > 1 && imageStride < image)
            throw new ArgumentException($"{kernel}: image stride {imageStride} is less than an image ({c}x{h}x{w})");
        long need = images == 0 ? 0 : (long)(images - 1) * imageStride + image;
        long columns = (long)c * kh * kw * images * oh * ow;
        if (imageLength < need)
            throw new ArgumentException($"{kernel}: image span needs {need} elements ({images} images of {c}x{h}x{w}, stride {imageStride}), has {imageLength}");
        if (colsLength < columns)
            throw new ArgumentException($"{kernel}: column span needs {columns} elements ({c * kh * kw}x{images * oh * ow}), has {colsLength}");
        return (oh, ow);
    }
}
