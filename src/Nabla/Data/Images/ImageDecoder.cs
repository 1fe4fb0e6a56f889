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
        // Our own walk over the container first: the size is checked before anything is allocated, and stb only
        // sees files whose every length field stays inside the data (ImageStructure).
        var (hw, hh) = ImageStructure.Check(encoded, source, (w, h) => CheckSize(w, h, source));
        ImageInfo? info;
        try
        {
            using var stream = new StbInputStream(encoded.ToArray());
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb reports every malformation with a bare Exception (or an index error on crafted input).
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a corrupt header ({IdxReader.OneLine(e.Message)})", e);
        }
        if (info is not ImageInfo i)
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a corrupt header ({encoded.Length} bytes)");
        if (i.Width != hw || i.Height != hh)
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a corrupt header (size {hw}x{hh} in its header, {i.Width}x{i.Height} as decoded)");
        return (i.Width, i.Height);
    }

    private static void CheckSize(long w, long h, string source)
    {
        if (w <= 0 || h <= 0 || w > MaxSide || h > MaxSide || w * h > MaxPixels)
            throw new NablaInputException($"{source}: expected an image of at most {MaxSide}x{MaxSide} pixels ({MaxPixels:N0} in all), found {w}x{h} in its header");
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
            using var stream = new StbInputStream(encoded);
            r = ImageResult.FromStream(stream, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
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
}
