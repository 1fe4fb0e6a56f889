using System.Buffers.Binary;
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
        // Our own look at the size fields first: stb refuses huge images too, but only as "corrupt".
        if (HeaderSize(encoded) is var (hw, hh)) CheckSize(hw, hh, source);
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
        CheckSize(i.Width, i.Height, source);
        return (i.Width, i.Height);
    }

    private static void CheckSize(long w, long h, string source)
    {
        if (w <= 0 || h <= 0 || w > MaxSide || h > MaxSide || w * h > MaxPixels)
            throw new NablaInputException($"{source}: expected an image of at most {MaxSide}x{MaxSide} pixels ({MaxPixels:N0} in all), found {w}x{h} in its header");
    }

    /// <summary>Width and height from the header fields of a PNG (IHDR), BMP (BITMAPINFOHEADER) or JPEG (SOFn
    /// segment), or null when the bytes are too short or the format is another.</summary>
    internal static (long Width, long Height)? HeaderSize(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 24 && b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) && b[12..16].SequenceEqual("IHDR"u8))
            return (BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
        if (b.Length >= 26 && b.StartsWith("BM"u8) && BinaryPrimitives.ReadUInt32LittleEndian(b[14..]) >= 40)
            return (Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[18..])), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..])));
        if (b.Length < 4 || b[0] != 0xFF || b[1] != 0xD8) return null;
        for (int p = 2; p + 9 <= b.Length;)
        {
            if (b[p] != 0xFF) return null;
            byte m = b[p + 1];
            if (m == 0xFF) { p++; continue; }
            int len = BinaryPrimitives.ReadUInt16BigEndian(b[(p + 2)..]);
            if (m is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return (BinaryPrimitives.ReadUInt16BigEndian(b[(p + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(p + 5)..]));
            if (len < 2) return null;
            p += 2 + len;
        }
        return null;
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
        if (IsTruncatedJpeg(encoded))
            throw new NablaInputException($"{source}: expected a PNG, JPEG or BMP image, found a truncated JPEG (no end-of-image marker after its scan data)");
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

    // stb decodes a JPEG cut short as if the missing scan data were zeros; a complete one has an EOI marker
    // (FF D9) after its last start-of-scan (FF DA): entropy-coded data stuffs every FF byte as FF 00.
    private static bool IsTruncatedJpeg(ReadOnlySpan<byte> b)
    {
        if (!b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8])) return false;
        int sos = b.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        return sos < 0 || b[sos..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) < 0;
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
        string? kind = b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "PNG"
            : b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8]) ? "JPEG"
            : b.StartsWith("BM"u8) ? "BMP" : null;
        if (kind is not null) return $"a corrupt or truncated {kind} header ({b.Length} bytes)";
        int n = Math.Min(8, b.Length);
        return $"{b.Length} bytes starting {Convert.ToHexString(b[..n])} (no known image signature)";
    }
}
