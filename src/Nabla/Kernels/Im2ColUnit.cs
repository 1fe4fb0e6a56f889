using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// <see cref="Im2ColBatch"/>'s unfold and fold for stride 1 and dilation 1, where each output row of a receptive-field
/// row is a contiguous run of the input row: runs of 8 or more floats move as two (possibly overlapping) 8-float
/// vectors per 16, shorter ones one float at a time, instead of a copy call per run (LeNet's runs are 10 to 28
/// floats, where the call dominates).
/// </summary>
/// <remarks>Same layout and values as <see cref="Im2ColBatch"/>; <see cref="Fold"/> adds the same terms in the same
/// order (no overlapping stores there), so both are bit-identical to it.</remarks>
public static class Im2ColUnit
{
    /// <summary>As <see cref="Im2ColBatch.Unfold"/> with stride 1 and dilation 1.</summary>
    /// <exception cref="ArgumentException">Sizes out of range or spans too short.</exception>
    public static unsafe void Unfold(ReadOnlySpan<float> x, int images, int imageStride, int c, int h, int w, int kh, int kw,
        int ph, int pw, Span<float> cols)
    {
        var (oh, ow) = Check(x.Length, images, imageStride, c, h, w, kh, kw, ph, pw, cols.Length);
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
                            int lo = Math.Max(0, pw - j), hi = Math.Min(ow, w + pw - j); // ox whose input column is inside
                            for (int oy = 0; oy < oh; oy++, dst += ow)
                            {
                                int iy = oy - ph + i;
                                if ((uint)iy >= (uint)h || lo >= hi) { new Span<float>(dst, ow).Clear(); continue; }
                                for (int ox = 0; ox < lo; ox++) dst[ox] = 0f;
                                for (int ox = hi; ox < ow; ox++) dst[ox] = 0f;
                                Copy(plane + (long)iy * w + (lo - pw + j), dst + lo, hi - lo);
                            }
                        }
                }
            }
        }
    }

    /// <summary>dst[0..n) = src[0..n): 8-float vectors, the last one overlapping the previous when n is not a multiple of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(float* src, float* dst, int n)
    {
        if (n >= 8 && Vector256.IsHardwareAccelerated)
        {
            int q = 0;
            for (; q + 8 <= n; q += 8) Vector256.Load(src + q).Store(dst + q);
            if (q < n) Vector256.Load(src + n - 8).Store(dst + n - 8);
            return;
        }
        for (int q = 0; q < n; q++) dst[q] = src[q];
    }

    /// <summary>As <see cref="Im2ColBatch.Fold"/> with stride 1 and dilation 1 (accumulates into <paramref name="dx"/>).</summary>
    /// <exception cref="ArgumentException">Sizes out of range or spans too short.</exception>
    public static unsafe void Fold(ReadOnlySpan<float> cols, int images, int imageStride, int c, int h, int w, int kh, int kw,
        int ph, int pw, Span<float> dx)
    {
        var (oh, ow) = Check(dx.Length, images, imageStride, c, h, w, kh, kw, ph, pw, cols.Length);
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
                            int lo = Math.Max(0, pw - j), hi = Math.Min(ow, w + pw - j);
                            if (lo >= hi) continue;
                            for (int oy = 0; oy < oh; oy++, src += ow)
                            {
                                int iy = oy - ph + i;
                                if ((uint)iy >= (uint)h) continue;
                                float* d = plane + (long)iy * w + (lo - pw + j), s = src + lo;
                                int n = hi - lo, q = 0;
                                if (Vector256.IsHardwareAccelerated)
                                    for (; q + 8 <= n; q += 8) (Vector256.Load(d + q) + Vector256.Load(s + q)).Store(d + q);
                                for (; q < n; q++) d[q] += s[q];
                            }
                        }
                }
            }
        }
    }

    private static (int Oh, int Ow) Check(int imageLength, int images, int imageStride, int c, int h, int w, int kh, int kw,
        int ph, int pw, int colsLength)
    {
        if (images < 0 || c < 1 || h < 1 || w < 1 || kh < 1 || kw < 1 || ph < 0 || pw < 0)
            throw new ArgumentException($"Im2ColUnit: sizes out of range: images={images} c={c} {h}x{w} kernel {kh}x{kw} padding {ph}x{pw}");
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
        if (oh < 1 || ow < 1) throw new ArgumentException($"Im2ColUnit: kernel {kh}x{kw} larger than the padded input {h + 2 * ph}x{w + 2 * pw}");
        if (imageStride < c * h * w) throw new ArgumentException($"Im2ColUnit: image stride {imageStride} is below C·H·W = {c * h * w}");
        long need = images == 0 ? 0 : (long)(images - 1) * imageStride + (long)c * h * w;
        if (imageLength < need) throw new ArgumentException($"Im2ColUnit: image span needs {need} elements, has {imageLength}");
        long colsNeed = (long)c * kh * kw * images * oh * ow;
        if (colsLength < colsNeed) throw new ArgumentException($"Im2ColUnit: columns span needs {colsNeed} elements, has {colsLength}");
        return (oh, ow);
    }
}
