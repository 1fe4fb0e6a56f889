using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Reporting;

/// <summary>A minimal managed PNG encoder (8-bit grayscale or RGB, no interlacing), enough to embed dataset
/// images in a report as <c>data:</c> URIs without a native imaging library.</summary>
/// <remarks>The file is the signature, an IHDR chunk, one IDAT chunk holding the zlib stream of the rows (each
/// prefixed by filter type 0), and IEND; every chunk ends with the CRC-32 of its type and data (PNG spec §5).</remarks>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes a C x H x W image of bytes (C = 1 grayscale, C = 3 RGB planes), each pixel repeated
    /// <paramref name="scale"/> times along both axes.</summary>
    /// <param name="planes">C x H x W bytes, row-major, planar as <see cref="Data.Dataset"/> stores them.</param>
    /// <param name="channels">1 or 3.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="scale">Pixel repetition factor (nearest-neighbour upscaling), 1 or more.</param>
    /// <exception cref="ArgumentException">Channels not 1 or 3, non-positive sizes or scale, or the wrong number of bytes.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> planes, int channels, int height, int width, int scale = 1)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {channels}", nameof(channels));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        if (planes.Length != channels * height * width)
            throw new ArgumentException($"{channels}x{height}x{width} = {channels * height * width} bytes expected, found {planes.Length}", nameof(planes));
        int w = width * scale, h = height * scale, rowBytes = 1 + w * channels;
        var raw = new byte[h * rowBytes];
        for (int y = 0; y < h; y++)
        {
            int sy = y / scale, o = y * rowBytes + 1; // raw[y * rowBytes] = 0: filter type None
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                    raw[o + x * channels + c] = planes[(c * height + sy) * width + x / scale];
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        ihdr[8] = 8;                                  // bit depth
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);      // colour type: grayscale or truecolour
        // ihdr[10..12] = 0: deflate compression, adaptive filtering, no interlace
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The PNG as a <c>data:image/png;base64,...</c> URI.</summary>
    public static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    /// <summary>CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), as PNG chunks and zlib's crc32 compute it.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(data, Crc32(head[4..])));
        s.Write(crc);
    }

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
