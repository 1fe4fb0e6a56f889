using StbImageSharp;

namespace Nabla.Data.Images;

/// <summary>
/// Decodes PNG, JPEG and BMP files (StbImageSharp, a managed port of stb_image) into 8-bit planar
/// C x H x W pixels, converting to the requested number of channels (1: grayscale, 3: RGB).
/// </summary>
/// <remarks>
/// The header is read first and images larger than <see cref="MaxSide"/> on a side or
/// <see cref="MaxPixels"/> in all are refused before any pixel buffer is allocated (a crafted 60000x60000
/// PNG is an error, not 14 GB). Grayscale to RGB replicates the gray value; RGB to grayscale is stb's
/// integer luma (77 R + 150 G + 29 B) / 256 (PIL's <c>convert('L')</c> uses 0.299/0.587/0.114, so a
/// converted pixel may differ from PIL's by one level).
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The largest accepted width or height, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>The largest accepted width x height.</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>Reads width and height from the header of an encoded image.</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="source">The file name, for messages.</param>
    /// <exception cref="NablaInputException">The bytes are empty, not a PNG/JPEG/BMP header, or the size is absurd.</exception>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded, string source)
    {
        if (encoded.Length == 0) throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found an empty file (0 bytes)");
        ImageInfo? info;
        try
        {
            using var ms = new MemoryStream(encoded.ToArray(), writable: false);
            info = ImageInfo.FromStream(ms);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb reports every malformation with a bare Exception (or an index error on crafted input).
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a corrupt header ({IdxReader.OneLine(e.Message)})", e);
        }
        if (info is not ImageInfo i)
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found {Describe(encoded)}");
        if (i.Width <= 0 || i.Height <= 0 || i.Width > MaxSide || i.Height > MaxSide || (long)i.Width * i.Height > MaxPixels)
            throw new NablaInputException($"{source}: expected an image of at most {MaxSide}x{MaxSide} pixels ({MaxPixels:N0} in all), found {i.Width}x{i.Height} in its header");
        return (i.Width, i.Height);
    }

    /// <summary>Decodes an encoded image into planar pixels with <paramref name="channels"/> channels.</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="source">The file name, for messages.</param>
    /// <returns>The pixels (C x H x W bytes), width and height.</returns>
    /// <exception cref="ArgumentOutOfRangeException">channels is not 1 or 3.</exception>
    /// <exception cref="NablaInputException">The file is empty, truncated, corrupt, not an image or absurdly large.</exception>
    public static (byte[] Pixels, int Width, int Height) Decode(byte[] encoded, int channels, string source)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "expected 1 (grayscale) or 3 (RGB)");
        var (w, h) = ReadSize(encoded, source);
        ImageResult r;
        try
        {
            r = ImageResult.FromMemory(encoded, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a corrupt or truncated one ({IdxReader.OneLine(e.Message)})", e);
        }
        if (r is null || r.Data is null || r.Width != w || r.Height != h || r.Data.Length < (long)w * h * channels)
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a corrupt or truncated one");
        return (ToPlanar(r.Data, channels, h, w), w, h);
    }

    /// <summary>Interleaved H x W x C to planar C x H x W.</summary>
    internal static byte[] ToPlanar(byte[] hwc, int channels, int height, int width)
    {
        if (channels == 1) return hwc.Length == height * width ? hwc : hwc[..(height * width)];
        int plane = height * width;
        var chw = new byte[channels * plane];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++) chw[c * plane + p] = hwc[p * channels + c];
        return chw;
    }

    private static string Describe(ReadOnlySpan<byte> b)
    {
        int n = Math.Min(8, b.Length);
        return $"{b.Length} bytes starting {Convert.ToHexString(b[..n])} (no known image signature)";
    }
}
