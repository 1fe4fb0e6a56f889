using System.Buffers.Binary;

namespace Nabla.Data.Images;

/// <summary>
/// Our own walk over the structure of a PNG, JPEG or BMP file before StbImageSharp sees it: the signature, every
/// chunk or segment length within the file, the header the size comes from, the pixel data present.
/// </summary>
/// <remarks>
/// stb_image was written for trusted files: it reads zeros past the end and reports most damage as "corrupt" or not
/// at all (a JPEG cut inside its scan decodes as grey). Checking the container first gives a message that says
/// what is wrong, refuses other formats stb would also accept (TGA has no signature; GIF, PSD, HDR are not ours),
/// and means stb only ever decodes files whose every length field stays inside the data.
/// </remarks>
internal static class ImageStructure
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the container of <paramref name="b"/> and returns the image size from its header, calling
    /// <paramref name="checkSize"/> on it as soon as it is read (before the rest of the file is walked).</summary>
    /// <exception cref="NablaInputException">The bytes are not a well-formed PNG, JPEG or BMP container.</exception>
    public static (int Width, int Height) Check(ReadOnlySpan<byte> b, string source, Action<long, long> checkSize)
    {
        if (b.Length >= 4 && b[..4].SequenceEqual(PngSignature[..4])) return Png(b, source, checkSize);
        if (b.Length >= 2 && b[0] == 0xFF && b[1] == 0xD8) return Jpeg(b, source, checkSize);
        if (b.Length >= 2 && b[0] == (byte)'B' && b[1] == (byte)'M') return Bmp(b, source, checkSize);
        int n = Math.Min(8, b.Length);
        throw Bad(source, $"{b.Length} bytes starting {Convert.ToHexString(b[..n])} (no known image signature)");
    }

    private static (int, int) Png(ReadOnlySpan<byte> b, string source, Action<long, long> checkSize)
    {
        int size = b.Length;
        string Corrupt(string what) => $"a corrupt or truncated PNG ({what}; the file has {size} bytes)";
        if (b.Length < 8 || !b[..8].SequenceEqual(PngSignature)) throw Bad(source, Corrupt("bad 8-byte signature"));
        long w = 0, h = 0;
        bool idat = false;
        for (int p = 8, index = 0; ; index++)
        {
            if (p + 12 > b.Length) throw Bad(source, Corrupt($"no IEND chunk: the file ends inside the chunk header at byte {p}"));
            uint len = BinaryPrimitives.ReadUInt32BigEndian(b[p..]);
            var type = b.Slice(p + 4, 4);
            string name = IsAsciiLetters(type) ? System.Text.Encoding.ASCII.GetString(type) : Convert.ToHexString(type);
            if (!IsAsciiLetters(type)) throw Bad(source, Corrupt($"chunk {index} at byte {p} has the type {name}, not four letters"));
            if (len > int.MaxValue || p + 12 + (long)len > b.Length)
                throw Bad(source, Corrupt($"chunk {name} at byte {p} claims {len} bytes, {b.Length - p - 12} remain"));
            if (index == 0)
            {
                if (name != "IHDR" || len != 13) throw Bad(source, Corrupt($"the first chunk is {name} of {len} bytes, not IHDR of 13"));
                w = BinaryPrimitives.ReadUInt32BigEndian(b[(p + 8)..]);
                h = BinaryPrimitives.ReadUInt32BigEndian(b[(p + 12)..]);
                checkSize(w, h);
            }
            if (name == "IDAT") idat = true;
            if (name == "IEND")
            {
                if (!idat) throw Bad(source, Corrupt("no IDAT chunk before IEND"));
                return ((int)w, (int)h);
            }
            p += 12 + (int)len;
        }
    }

    private static (int, int) Jpeg(ReadOnlySpan<byte> b, string source, Action<long, long> checkSize)
    {
        int size = b.Length;
        string Corrupt(string what) => $"a corrupt or truncated JPEG ({what}; the file has {size} bytes)";
        long w = -1, h = -1;
        bool scanned = false;
        for (int p = 2; ;)
        {
            if (p >= b.Length)
                throw Bad(source, scanned ? "a truncated JPEG (no end-of-image marker after its scan data)" : Corrupt("no start-of-scan segment"));
            if (b[p] != 0xFF) { p++; continue; } // junk between segments: skipped, as libjpeg and stb do
            if (p + 1 >= b.Length) { p++; continue; } // a lone FF at the end
            byte m = b[p + 1];
            if (m == 0xFF) { p++; continue; } // fill byte
            if (m == 0xD9)
            {
                if (!scanned) throw Bad(source, Corrupt($"end-of-image marker at byte {p} before any scan"));
                return ((int)w, (int)h);
            }
            if (m is 0x01 or (>= 0xD0 and <= 0xD7)) { p += 2; continue; } // standalone markers
            if (m is 0x00 or 0xD8) throw Bad(source, Corrupt($"marker FF{m:X2} at byte {p}"));
            if (p + 4 > b.Length) throw Bad(source, Corrupt($"the file ends inside segment FF{m:X2} at byte {p}"));
            int len = BinaryPrimitives.ReadUInt16BigEndian(b[(p + 2)..]);
            if (len < 2 || p + 2 + len > b.Length)
                throw Bad(source, Corrupt($"segment FF{m:X2} at byte {p} claims {len} bytes, {b.Length - p - 2} remain"));
            if (m is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                if (len < 8) throw Bad(source, Corrupt($"start-of-frame segment FF{m:X2} at byte {p} of {len} bytes, under 8"));
                if (w >= 0) throw Bad(source, Corrupt($"a second start-of-frame segment at byte {p}"));
                h = BinaryPrimitives.ReadUInt16BigEndian(b[(p + 5)..]);
                w = BinaryPrimitives.ReadUInt16BigEndian(b[(p + 7)..]);
                checkSize(w, h);
            }
            p += 2 + len;
            if (m != 0xDA) continue;
            if (w < 0) throw Bad(source, Corrupt($"a start-of-scan segment at byte {p - 2 - len} before the start-of-frame"));
            scanned = true;
            // Entropy-coded data: FF is stuffed as FF 00; FF D0-D7 are restart markers; FF FF is fill before a marker.
            while (p < b.Length && !(b[p] == 0xFF && p + 1 < b.Length && b[p + 1] is not (0x00 or 0xFF or (>= 0xD0 and <= 0xD7))))
                p++;
        }
    }

    private static (int, int) Bmp(ReadOnlySpan<byte> b, string source, Action<long, long> checkSize)
    {
        int size = b.Length;
        string Corrupt(string what) => $"a corrupt or truncated BMP ({what}; the file has {size} bytes)";
        if (b.Length < 26) throw Bad(source, Corrupt("shorter than its 26-byte headers"));
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(b[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(b[14..]);
        if (headerSize is not (12 or 40 or 52 or 56 or 64 or 108 or 124))
            throw Bad(source, Corrupt($"an info header of {headerSize} bytes, not 12, 40, 52, 56, 64, 108 or 124"));
        if (14 + headerSize > b.Length) throw Bad(source, Corrupt($"its {headerSize}-byte info header runs past the end"));
        bool core = headerSize == 12;
        long w = core ? BinaryPrimitives.ReadUInt16LittleEndian(b[18..]) : Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[18..]));
        long h = core ? BinaryPrimitives.ReadUInt16LittleEndian(b[20..]) : Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..]));
        checkSize(w, h);
        int bpp = BinaryPrimitives.ReadUInt16LittleEndian(b[(core ? 24 : 28)..]);
        uint compression = core ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(b[30..]);
        if (bpp is not (1 or 4 or 8 or 16 or 24 or 32)) throw Bad(source, Corrupt($"{bpp} bits per pixel, not 1, 4, 8, 16, 24 or 32"));
        if (compression is not (0 or 3)) throw Bad(source, Corrupt($"compression {compression}; only uncompressed (0) and bit fields (3) are read"));
        if (offset < 14 + headerSize || offset > b.Length)
            throw Bad(source, Corrupt($"pixel data offset {offset} outside {14 + headerSize}..{b.Length}"));
        long need = (w * bpp + 31) / 32 * 4 * h;
        if (need > b.Length - offset) throw Bad(source, Corrupt($"{w}x{h} at {bpp} bits needs {need} bytes of pixels from byte {offset}, {b.Length - offset} remain"));
        return ((int)w, (int)h);
    }

    private static bool IsAsciiLetters(ReadOnlySpan<byte> s)
    {
        foreach (byte c in s) if (!char.IsAsciiLetter((char)c)) return false;
        return true;
    }

    private static NablaInputException Bad(string source, string found) =>
        new($"{source}: expected a PNG, JPEG or BMP image, found {found}");
}
