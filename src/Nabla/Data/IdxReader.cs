using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Nabla.Data;

/// <summary>
/// Reads IDX files of unsigned bytes (the MNIST format), plain or gzip-compressed, validating every header
/// field before anything is allocated.
/// </summary>
/// <remarks>
/// Layout: two zero bytes, the data-type byte (0x08 = unsigned byte), the number of dimensions, one
/// big-endian 32-bit size per dimension, then the data, row-major. Labels are 0x00000801 ([N]), images
/// 0x00000803 ([N, H, W]). Gzip is recognised by its magic bytes 1F 8B (whatever the file is called);
/// byte offsets in messages then count in the decompressed stream. Sizes are checked against the file
/// length (plain) or against the most a deflate stream of that length can expand to (gzip, ratio 1032:1)
/// before the data buffer is allocated; a short or over-long data section is an error.
/// </remarks>
public static class IdxReader
{
    /// <summary>The IDX data-type byte of unsigned bytes.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>The magic number of a label file (unsigned bytes, one dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>The magic number of an image file (unsigned bytes, three dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The largest expansion a deflate stream allows (RFC 1951: 258 bytes per 2-bit code, ~1032:1).</summary>
    internal const long MaxDeflateRatio = 1032;

    /// <summary>The first buffer for gzip data; it doubles as inflated bytes arrive, up to the header's size.</summary>
    internal const int InitialGzipBuffer = 1 << 22;

    /// <summary>Reads the IDX file at <paramref name="path"/>.</summary>
    /// <param name="path">A plain or gzip-compressed IDX file of unsigned bytes.</param>
    /// <param name="expectedDims">The number of dimensions required (1 for labels, 3 for images), or 0 for any of 1 to 4.</param>
    /// <returns>The validated shape and data.</returns>
    /// <exception cref="NablaInputException">The file is missing, unreadable, not IDX, of another data type or
    /// dimension count, has a zero or overflowing dimension, is truncated, has trailing bytes, or its gzip
    /// stream is corrupt. The message names the file and byte offset.</exception>
    public static IdxData Read(string path, int expectedDims = 0)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new NablaInputException($"{path}: cannot open IDX file: {OneLine(e.Message)}", e);
        }
        using (file) return Read(file, path, expectedDims);
    }

    /// <summary>Reads an IDX file from a seekable stream, from its current position to its end.</summary>
    /// <param name="stream">A readable, seekable stream holding a plain or gzip-compressed IDX file.</param>
    /// <param name="name">The name used in error messages (usually the file path).</param>
    /// <param name="expectedDims">The number of dimensions required, or 0 for any of 1 to 4.</param>
    /// <returns>The validated shape and data.</returns>
    /// <exception cref="ArgumentException">The stream is not readable and seekable.</exception>
    /// <exception cref="NablaInputException">The content is malformed (see <see cref="Read(string, int)"/>).</exception>
    public static IdxData Read(Stream stream, string name, int expectedDims = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead || !stream.CanSeek) throw new ArgumentException("the stream must be readable and seekable", nameof(stream));
        if (expectedDims < 0 || expectedDims > 4) throw new ArgumentOutOfRangeException(nameof(expectedDims), expectedDims, "0 (any) or 1 to 4");
        try
        {
            long start = stream.Position;
            long length = stream.Length - start;
            Span<byte> sig = stackalloc byte[2];
            int got = ReadFully(stream, sig);
            stream.Position = start;
            bool gzip = got == 2 && sig[0] == 0x1F && sig[1] == 0x8B;
            if (!gzip) return ReadBody(stream, name, expectedDims, maxDataLength: length, exactLength: length, gzip: false,
                                       gzName: name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
            using var inflated = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            // A deflate stream of L bytes inflates to at most ~1032 L bytes: a header claiming more is a lie.
            return ReadBody(inflated, name, expectedDims, maxDataLength: length * MaxDeflateRatio, exactLength: -1, gzip: true, gzName: false);
        }
        catch (InvalidDataException e)
        {
            throw new NablaInputException($"{name}: corrupt gzip stream: {OneLine(e.Message)}", e);
        }
        catch (IOException e)
        {
            throw new NablaInputException($"{name}: read error: {OneLine(e.Message)}", e);
        }
    }

    private static IdxData ReadBody(Stream s, string name, int expectedDims, long maxDataLength, long exactLength, bool gzip, bool gzName)
    {
        string where = gzip ? "decompressed byte offset" : "byte offset";
        Span<byte> head = stackalloc byte[4];
        int got = ReadFully(s, head);
        if (got < 4)
            throw new NablaInputException($"{name}: truncated at {where} {got}: expected a 4-byte IDX magic number, found {got} bytes");
        if (head[0] != 0 || head[1] != 0)
            throw new NablaInputException($"{name}: {where} 0: expected {(gzName ? "gzip magic 1F 8B (the name ends in .gz) or " : "")}IDX magic 00 00 08 0N, found {Hex(head)}");
        if (head[2] != UnsignedByteType)
            throw new NablaInputException($"{name}: {where} 2: expected data type 0x08 (unsigned byte), found 0x{head[2]:X2}{TypeName(head[2])}");
        int dims = head[3];
        if (expectedDims != 0 && dims != expectedDims)
            throw new NablaInputException($"{name}: {where} 3: expected {expectedDims} dimension{(expectedDims == 1 ? "" : "s")} (magic 0x{0x800 + expectedDims:X8}), found {dims}");
        if (dims < 1 || dims > 4)
            throw new NablaInputException($"{name}: {where} 3: expected 1 to 4 dimensions, found {dims}");

        Span<byte> dimBytes = stackalloc byte[4 * dims];
        got = ReadFully(s, dimBytes);
        if (got < dimBytes.Length)
            throw new NablaInputException($"{name}: truncated at {where} {4 + got}: expected {dims} 4-byte dimension sizes, found {got} bytes");
        var shape = new int[dims];
        long count = 1;
        for (int i = 0; i < dims; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.Slice(4 * i, 4));
            if (d == 0 || d > int.MaxValue)
                throw new NablaInputException($"{name}: {where} {4 + 4 * i}: expected dimension {i} between 1 and {int.MaxValue}, found {d}");
            shape[i] = (int)d;
            count *= d; // at most (2^31)^4 would overflow, so check after every step
            if (count > Array.MaxLength)
                throw new NablaInputException($"{name}: {where} {4 + 4 * i}: dimensions {string.Join('x', shape[..(i + 1)])}... hold more than {Array.MaxLength} bytes");
        }
        int headerLength = 4 + 4 * dims;
        if (exactLength >= 0 && exactLength != headerLength + count)
        {
            string what = exactLength < headerLength + count ? "truncated" : "trailing bytes";
            throw new NablaInputException($"{name}: {what} at {where} {Math.Min(exactLength, headerLength + count)}: expected {headerLength + count} bytes (header {headerLength} + data {string.Join('x', shape)}), found {exactLength}");
        }
        if (count > maxDataLength)
            throw new NablaInputException($"{name}: {where} 4: dimensions {string.Join('x', shape)} need {count} data bytes, more than a gzip stream of this size can hold");

        byte[] data;
        if (exactLength >= 0)
        {
            data = new byte[count]; // the file length matched the header, so this is what the disk holds
            got = ReadFully(s, data);
        }
        else
        {
            // Inflated size is only known by inflating: grow with the data actually produced, so a lying
            // header in a small gzip file cannot make us allocate more than about twice what it expands to.
            data = new byte[Math.Min(count, InitialGzipBuffer)];
            got = ReadFully(s, data);
            while (got == data.Length && data.Length < count)
            {
                Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
                got += ReadFully(s, data.AsSpan(got));
            }
        }
        if (got < count)
            throw new NablaInputException($"{name}: truncated at {where} {headerLength + got}: expected {headerLength + count} bytes (header {headerLength} + data {string.Join('x', shape)}), found {headerLength + got}");
        Span<byte> extra = stackalloc byte[1];
        if (ReadFully(s, extra) != 0)
            throw new NablaInputException($"{name}: trailing bytes at {where} {headerLength + count}: expected end of data after {headerLength + count} bytes (header {headerLength} + data {string.Join('x', shape)})");

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(head);
        sha.AppendData(dimBytes);
        sha.AppendData(data);
        return new IdxData(name, shape, data, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => " (signed byte; only unsigned bytes are supported)",
        0x0B => " (int16; only unsigned bytes are supported)",
        0x0C => " (int32; only unsigned bytes are supported)",
        0x0D => " (float32; only unsigned bytes are supported)",
        0x0E => " (float64; only unsigned bytes are supported)",
        _ => "",
    };

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b);

    internal static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
