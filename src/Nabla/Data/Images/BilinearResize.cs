namespace Nabla.Data.Images;

/// <summary>
/// Bilinear resizing of planar 8-bit images with half-pixel centres, as PyTorch's
/// <c>F.interpolate(x, size, mode='bilinear', align_corners=False, antialias=False)</c>, rounded to the
/// nearest byte.
/// </summary>
public static class BilinearResize
{
    /// <summary>Resizes a C x H x W image to C x <paramref name="outHeight"/> x <paramref name="outWidth"/>.</summary>
    /// <param name="source">C x H x W bytes.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outHeight">The new height, at least 1.</param>
    /// <param name="outWidth">The new width, at least 1.</param>
    /// <param name="destination">C x outHeight x outWidth bytes.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span is too short.</exception>
    public static void Resize(ReadOnlySpan<byte> source, int channels, int height, int width, int outHeight, int outWidth, Span<byte> destination)
    {
        if (channels <= 0 || height <= 0 || width <= 0 || outHeight <= 0 || outWidth <= 0) throw new ArgumentException("sizes must be positive");
        if (source.Length < channels * height * width) throw new ArgumentException($"expected {channels * height * width} source bytes, found {source.Length}", nameof(source));
        if (destination.Length < channels * outHeight * outWidth) throw new ArgumentException($"expected {channels * outHeight * outWidth} destination bytes, found {destination.Length}", nameof(destination));
        Span<int> x0 = outWidth <= 1024 ? stackalloc int[outWidth] : new int[outWidth];
        Span<float> fx = outWidth <= 1024 ? stackalloc float[outWidth] : new float[outWidth];
        for (int x = 0; x < outWidth; x++) (x0[x], fx[x]) = Source(x, width, outWidth);
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<byte> plane = source.Slice(c * height * width, height * width);
            Span<byte> dst = destination.Slice(c * outHeight * outWidth, outHeight * outWidth);
            for (int y = 0; y < outHeight; y++)
            {
                var (y0, fy) = Source(y, height, outHeight);
                int y1 = Math.Min(y0 + 1, height - 1);
                ReadOnlySpan<byte> r0 = plane.Slice(y0 * width, width), r1 = plane.Slice(y1 * width, width);
                for (int x = 0; x < outWidth; x++)
                {
                    int a = x0[x], b = Math.Min(a + 1, width - 1);
                    float top = r0[a] + (r0[b] - r0[a]) * fx[x];
                    float bottom = r1[a] + (r1[b] - r1[a]) * fx[x];
                    float v = top + (bottom - top) * fy;
                    dst[y * outWidth + x] = (byte)Math.Clamp(MathF.Round(v), 0f, 255f);
                }
            }
        }
    }

    // PyTorch's area_pixel_compute_source_index (align_corners=False): src = (dst + 0.5) * in/out - 0.5, clamped at 0.
    private static (int Index, float Frac) Source(int dst, int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        float s = MathF.Max((dst + 0.5f) * scale - 0.5f, 0f);
        int i = Math.Min((int)s, inSize - 1);
        return (i, i == inSize - 1 ? 0f : s - i);
    }
}
