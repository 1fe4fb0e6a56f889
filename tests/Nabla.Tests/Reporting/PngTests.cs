using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Reporting;
using Xunit;

namespace Nabla.Tests.Reporting;

public class PngTests
{
    /// <summary>The check value of CRC-32/ISO-HDLC (the CRC of PNG and zlib) for the ASCII string "123456789",
    /// as listed in the CRC catalogue (reveng) and returned by Python's zlib.crc32(b"123456789").</summary>
    private const uint Crc32CheckValue = 0xCBF43926;

    [Fact]
    public void Crc32_MatchesTheCatalogueCheckValue() =>
        Assert.Equal(Crc32CheckValue, Png.Crc32("123456789"u8));

    [Fact]
    public void Crc32_CanBeComputedInPieces() =>
        Assert.Equal(Png.Crc32("123456789"u8), Png.Crc32("6789"u8, Png.Crc32("12345"u8)));

    [Theory]
    [InlineData(1, 3, 5, 1)]
    [InlineData(1, 28, 28, 3)]
    [InlineData(3, 2, 4, 2)]
    public void Encode_ChunksHaveValidCrcs_AndIdatInflatesToTheScaledRows(int channels, int h, int w, int scale)
    {
        var px = new byte[channels * h * w];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)(i * 37 + 11);
        var png = Png.Encode(px, channels, h, w, scale);
        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, png[..8]);
        var chunks = new List<(string Type, byte[] Data)>();
        for (int o = 8; o < png.Length;)
        {
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(o));
            string type = System.Text.Encoding.ASCII.GetString(png, o + 4, 4);
            var data = png.AsSpan(o + 8, len).ToArray();
            Assert.Equal(Png.Crc32(png.AsSpan(o + 4, 4 + len)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(o + 8 + len)));
            chunks.Add((type, data));
            o += 12 + len;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        var ihdr = chunks[0].Data;
        Assert.Equal(w * scale, (int)BinaryPrimitives.ReadUInt32BigEndian(ihdr));
        Assert.Equal(h * scale, (int)BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)));
        Assert.Equal(channels == 1 ? 0 : 2, ihdr[9]);
        using var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        int rowBytes = 1 + w * scale * channels;
        Assert.Equal(h * scale * rowBytes, rows.Length);
        for (int y = 0; y < h * scale; y++)
        {
            Assert.Equal(0, rows[y * rowBytes]);
            for (int x = 0; x < w * scale; x++)
                for (int c = 0; c < channels; c++)
                    Assert.Equal(px[(c * h + y / scale) * w + x / scale], rows[y * rowBytes + 1 + x * channels + c]);
        }
    }

    [Fact]
    public void Encode_RejectsAWrongByteCountOrChannelCount()
    {
        Assert.Throws<ArgumentException>(() => Png.Encode(new byte[5], 1, 2, 2));
        Assert.Throws<ArgumentException>(() => Png.Encode(new byte[8], 2, 2, 2));
    }
}
