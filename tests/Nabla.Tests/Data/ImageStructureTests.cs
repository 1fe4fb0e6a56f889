using System.Buffers.Binary;
using Nabla.Data.Images;
using Xunit;

namespace Nabla.Tests.Data;

/// <summary>The container walk that runs before StbImageSharp (<see cref="ImageStructure"/>) and the stream stb reads
/// through (<see cref="StbInputStream"/>).</summary>
public sealed class ImageStructureTests
{
    [Theory]
    [InlineData("rgb.png")]
    [InlineData("gray.png")]
    [InlineData("rgb.jpg")]
    [InlineData("rgb.bmp")]
    [InlineData("other-size.png")]
    public void Fixtures_PassWithTheSizePillowReads(string name)
    {
        var (w, h) = ImageStructure.Check(ImageFixtures.Bytes(name), name, (_, _) => { });
        Assert.Equal((ImageFixtures.Reference(name).Width, ImageFixtures.Reference(name).Height), (w, h));
    }

    [Fact]
    public void Png_ChunkPastTheEnd_NoIdat_BadSignature_AreNamed()
    {
        byte[] png = ImageFixtures.Bytes("rgb.png");
        var longIdat = (byte[])png.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(longIdat.AsSpan(33), 0x8000_0000); // the IDAT length, 2^31
        AssertBad(longIdat, "chunk IDAT at byte 33 claims 2147483648 bytes");
        byte[] noIdat = [.. png[..33], .. png[^12..]]; // IHDR then IEND
        AssertBad(noIdat, "no IDAT chunk before IEND");
        var badSig = (byte[])png.Clone();
        badSig[6] = 0x0D;
        AssertBad(badSig, "bad 8-byte signature");
        AssertBad(png[..^12], "no IEND chunk");
    }

    [Fact]
    public void Jpeg_SegmentPastTheEnd_IsNamed_JunkBetweenSegments_IsSkipped()
    {
        byte[] jpg = ImageFixtures.Bytes("rgb.jpg");
        var longApp0 = (byte[])jpg.Clone();
        longApp0[4] = 0x40; // APP0 length 0x4010
        AssertBad(longApp0, "segment FFE0 at byte 2 claims 16400 bytes, 801 remain");
        AssertBad(jpg[..^2], "a truncated JPEG (no end-of-image marker after its scan data)");
        // Three junk bytes after APP0 (ends at byte 20): libjpeg warns and goes on, so do we.
        byte[] junk = [.. jpg[..20], 1, 2, 3, .. jpg[20..]];
        Assert.Equal(ImageDecoder.Decode(jpg, 3, "a.jpg").Pixels, ImageDecoder.Decode(junk, 3, "b.jpg").Pixels);
    }

    [Fact]
    public void Bmp_PixelsPastTheEnd_BadHeaderSize_AreNamed()
    {
        byte[] bmp = ImageFixtures.Bytes("rgb.bmp");
        AssertBad(bmp[..^1], "7x5 at 24 bits needs 120 bytes of pixels from byte 54, 119 remain");
        var header = (byte[])bmp.Clone();
        header[14] = 41;
        AssertBad(header, "an info header of 41 bytes");
        var offset = (byte[])bmp.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(offset.AsSpan(10), 4000);
        AssertBad(offset, "pixel data offset 4000 outside 54..174");
    }

    [Fact]
    public void StbInputStream_SkipsStopAtTheEnd()
    {
        using var s = new StbInputStream([1, 2, 3, 4]);
        Assert.Equal(3, s.Seek(3, SeekOrigin.Current));
        Assert.Equal(4, s.Seek(100, SeekOrigin.Current)); // a MemoryStream would say 103, and Position == Length never again
        Assert.Equal(s.Length, s.Position);
        Assert.Equal(-1, s.ReadByte());
        Assert.Equal(0, s.Read(new byte[8], 0, 8));
        s.Position = 1;
        Assert.Equal(4, s.Seek(-1, SeekOrigin.Current)); // a negative skip (a length of 2^31 or more cast to int) ends the data
        Assert.Equal(0, s.Seek(-9, SeekOrigin.Begin));
        Assert.Equal(1, s.ReadByte());
    }

    private static void AssertBad(byte[] bytes, string fragment)
    {
        var e = Assert.Throws<NablaInputException>(() => ImageDecoder.Decode(bytes, 3, "x.img"));
        Assert.StartsWith("x.img: expected a PNG, JPEG or BMP image, found ", e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
