using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// Lowers a 2-D convolution of one image to a matrix product: <see cref="Unfold"/> (im2col) lays out every
/// receptive field as a column, <see cref="Fold"/> (col2im) is its adjoint and sums columns back into an image.
/// </summary>
/// <remarks>
/// Names and layout follow <c>torch.nn.functional.unfold</c> / <c>fold</c>. For input C x H x W and a kernel
/// kh x kw with stride (sh, sw), padding (ph, pw) and dilation (dh, dw):
/// OH = ⌊(H + 2ph − dh(kh − 1) − 1) / sh⌋ + 1, likewise OW, and
/// <c>cols[(ci·kh + i)·kw + j, oy·OW + ox] = x[ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw]</c> (0 outside the image).
/// Convolution forward is then <c>Y (Cout x OH·OW) = W (Cout x C·kh·kw) · cols</c>; backward is
/// <c>dW += dY · colsᵀ</c> and <c>dcols = Wᵀ · dY</c> followed by <see cref="Fold"/> into dX.
/// Groups are the caller's business (slice the channels).
/// </remarks>
public static class Im2Col
{
    /// <summary>The output length of a convolution or pooling along one axis: ⌊(size + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1.</summary>
    /// <returns>The output size; 0 or less when the kernel does not fit.</returns>
    public static int OutputSize(int size, int kernel, int stride, int pad, int dilation) =>
        (size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;

    /// <summary>im2col: writes every receptive field of <paramref name="x"/> as a column of <paramref name="cols"/>.</summary>
    /// <param name="x">One image, C x H x W.</param>
    /// <param name="c">Channels C.</param>
    /// <param name="h">Height H.</param>
    /// <param name="w">Width W.</param>
    /// <param name="kh">Kernel height.</param>
    /// <param name="kw">Kernel width.</param>
    /// <param name="sh">Vertical stride (≥ 1).</param>
    /// <param name="sw">Horizontal stride (≥ 1).</param>
    /// <param name="ph">Zero padding top and bottom.</param>
    /// <param name="pw">Zero padding left and right.</param>
    /// <param name="dh">Vertical dilation (≥ 1).</param>
    /// <param name="dw">Horizontal dilation (≥ 1).</param>
    /// <param name="cols">Destination, (C·kh·kw) x (OH·OW); every element is written.</param>
    /// <exception cref="ArgumentException">A size is out of range, the kernel does not fit, or a span is too short.</exception>
    public static unsafe void Unfold(ReadOnlySpan<float> x, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, Span<float> cols)
    {
        var (oh, ow) = Check(x.Length, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, cols.Length);
        int l = oh * ow;
        fixed (float* px = x, pcols = cols)
        {
            float* dst = pcols;
            for (int ci = 0; ci < c; ci++)
            {
                float* plane = px + (long)ci * h * w;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        var (lo, hi) = ValidRange(ow, w, sw, pw, j * dw);
                        for (int oy = 0; oy < oh; oy++, dst += ow)
                        {
                            int iy = oy * sh - ph + i * dh;
                            if ((uint)iy >= (uint)h || lo >= hi) { Zero(dst, ow); continue; }
                            for (int ox = 0; ox < lo; ox++) dst[ox] = 0f;
                            for (int ox = hi; ox < ow; ox++) dst[ox] = 0f;
                            float* src = plane + (long)iy * w + (lo * sw - pw + j * dw);
                            if (sw == 1) Copy(src, dst + lo, hi - lo);
                            else for (int ox = lo; ox < hi; ox++, src += sw) dst[ox] = *src;
                        }
                    }
            }
        }
    }

    /// <summary>col2im: adds every column of <paramref name="cols"/> back into its receptive field of <paramref name="dx"/> (the adjoint of <see cref="Unfold"/>).</summary>
    /// <param name="cols">(C·kh·kw) x (OH·OW), e.g. Wᵀ · dY.</param>
    /// <param name="c">Channels C.</param>
    /// <param name="h">Height H.</param>
    /// <param name="w">Width W.</param>
    /// <param name="kh">Kernel height.</param>
    /// <param name="kw">Kernel width.</param>
    /// <param name="sh">Vertical stride (≥ 1).</param>
    /// <param name="sw">Horizontal stride (≥ 1).</param>
    /// <param name="ph">Zero padding top and bottom.</param>
    /// <param name="pw">Zero padding left and right.</param>
    /// <param name="dh">Vertical dilation (≥ 1).</param>
    /// <param name="dw">Horizontal dilation (≥ 1).</param>
    /// <param name="dx">C x H x W; accumulated into (<c>+=</c>), never cleared.</param>
    /// <exception cref="ArgumentException">A size is out of range, the kernel does not fit, or a span is too short.</exception>
    public static unsafe void Fold(ReadOnlySpan<float> cols, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, Span<float> dx)
    {
        var (oh, ow) = Check(dx.Length, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, cols.Length);
        fixed (float* pcols = cols, pdx = dx)
        {
            float* src = pcols;
            for (int ci = 0; ci < c; ci++)
            {
                float* plane = pdx + (long)ci * h * w;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        var (lo, hi) = ValidRange(ow, w, sw, pw, j * dw);
                        for (int oy = 0; oy < oh; oy++, src += ow)
                        {
                            int iy = oy * sh - ph + i * dh;
                            if ((uint)iy >= (uint)h || lo >= hi) continue;
                            float* dst = plane + (long)iy * w + (lo * sw - pw + j * dw);
                            if (sw == 1) AddTo(src + lo, dst, hi - lo);
                            else for (int ox = lo; ox < hi; ox++, dst += sw) *dst += src[ox];
                        }
                    }
            }
        }
    }

    private static unsafe void Zero(float* dst, int n)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k + 16 <= n; k += 16) Vector512<float>.Zero.Store(dst + k);
        for (; k < n; k++) dst[k] = 0f;
    }

    private static unsafe void Copy(float* src, float* dst, int n)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k + 16 <= n; k += 16) Vector512.Load(src + k).Store(dst + k);
        else if (Vector256.IsHardwareAccelerated)
            for (; k + 8 <= n; k += 8) Vector256.Load(src + k).Store(dst + k);
        for (; k < n; k++) dst[k] = src[k];
    }

    /// <summary>dst[0..n) += src[0..n).</summary>
    private static unsafe void AddTo(float* src, float* dst, int n)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k + 16 <= n; k += 16) (Vector512.Load(dst + k) + Vector512.Load(src + k)).Store(dst + k);
        else if (Vector256.IsHardwareAccelerated)
            for (; k + 8 <= n; k += 8) (Vector256.Load(dst + k) + Vector256.Load(src + k)).Store(dst + k);
        for (; k < n; k++) dst[k] += src[k];
    }

    /// <summary>The output columns [lo, hi) whose input column ox·s − pad + offset lies inside [0, size).</summary>
    private static (int Lo, int Hi) ValidRange(int outSize, int size, int stride, int pad, int offset)
    {
        int first = pad - offset;                        // need ox·s ≥ first
        int lo = first <= 0 ? 0 : (first + stride - 1) / stride;
        int last = size - 1 + pad - offset;              // need ox·s ≤ last
        int hi = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        return (Math.Min(lo, hi), hi);
    }

    internal static (int Oh, int Ow) Check(int imageLength, int c, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int colsLength)
    {
        if (c < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1)
            throw new ArgumentException(
                $"Im2Col: need c ≥ 0, h, w, kernel, stride, dilation ≥ 1 and padding ≥ 0; got c={c} h={h} w={w} " +
                $"kernel={kh}x{kw} stride={sh}x{sw} padding={ph}x{pw} dilation={dh}x{dw}");
        int oh = OutputSize(h, kh, sh, ph, dh), ow = OutputSize(w, kw, sw, pw, dw);
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
