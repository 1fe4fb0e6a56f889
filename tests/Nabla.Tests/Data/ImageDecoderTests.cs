using Nabla.Data.Images;
using Xunit;

namespace Nabla.Tests.Data;

public class ImageDecoderTests
{
    // JPEG decoders may differ in IDCT rounding and chroma upsampling; stb and libjpeg agree to a few levels.
    private const double JpegTolerance = 6;
    // Our resize rounds to bytes; PyTorch's reference is the unrounded float.
    private const double ResizeTolerance = 0.5 + 1e-3;

    [Theory]
    [InlineData("rgb.png", 3)]
    [InlineData("rgb.bmp", 3)]
    [InlineData("other-size.png", 3)]
    [InlineData("gray.png", 1)]
    public void Decode_LosslessFormats_MatchPillowExactly(string file, int channels)
    {
        var (w, h, want) = ImageFixtures.Reference(file);
        var (pixels, width, height) = ImageDecoder.Decode(ImageFixtures.Bytes(file), channels, file);
        Assert.Equal((w, h), (width, height));
        Assert.Equal(want.Select(v => (byte)v), pixels);
    }

    [Fact]
    public void Decode_Jpeg_MatchesPillowWithinTolerance()
    {
        var (w, h, want) = ImageFixtures.Reference("rgb.jpg");
        var (pixels, width, height) = ImageDecoder.Decode(ImageFixtures.Bytes("rgb.jpg"), 3, "rgb.jpg");
        Assert.Equal((w, h), (width, height));
        double worst = want.Select((v, i) => Math.Abs(v - pixels[i])).Max();
        Assert.True(worst <= JpegTolerance, $"largest difference from Pillow {worst}");
    }

    [Fact]
    public void Decode_GrayToRgb_ReplicatesTheGrayValue()
    {
        var (_, _, gray) = ImageFixtures.Reference("gray.png");
        var (pixels, _, _) = ImageDecoder.Decode(ImageFixtures.Bytes("gray.png"), 3, "gray.png");
        Assert.Equal(3 * gray.Length, pixels.Length);
        for (int c = 0; c < 3; c++) Assert.Equal(gray.Select(v => (byte)v), pixels.AsSpan(c * gray.Length, gray.Length).ToArray());
    }

    [Fact]
    public void Decode_RgbToGray_IsStbLuma()
    {
        var (_, _, rgb) = ImageFixtures.Reference("rgb.png");
        var (pixels, _, _) = ImageDecoder.Decode(ImageFixtures.Bytes("rgb.png"), 1, "rgb.png");
        int n = rgb.Length / 3;
        for (int i = 0; i < n; i++)
            Assert.Equal((byte)(((int)rgb[i] * 77 + (int)rgb[n + i] * 150 + (int)rgb[2 * n + i] * 29) >> 8), pixels[i]);
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(11, 13)]
    public void Resize_MatchesPyTorchBilinear(int h, int w)
    {
        var (sw, sh, _) = ImageFixtures.Reference("rgb.png");
        var (want_w, want_h, want) = ImageFixtures.Reference($"rgb.png->{h}x{w}");
        Assert.Equal((w, h), (want_w, want_h));
        var (pixels, _, _) = ImageDecoder.Decode(ImageFixtures.Bytes("rgb.png"), 3, "rgb.png");
        var dst = new byte[3 * h * w];
        BilinearResize.Resize(pixels, 3, sh, sw, h, w, dst);
        for (int i = 0; i < dst.Length; i++) Assert.True(Math.Abs(dst[i] - want[i]) <= ResizeTolerance, $"pixel {i}: {dst[i]} vs PyTorch {want[i]}");
    }

    [Fact]
    public void BadFiles_AreOneLineErrorsNamingTheFile()
    {
        byte[] png = ImageFixtures.Bytes("rgb.png");
        AssertRejected([], "a.png", "empty file (0 bytes)");
        AssertRejected(png[..40], "a.png", "corrupt");
        AssertRejected(png[..8], "a.png", "a.png: expected a PNG");
        AssertRejected("hello, world\n"u8.ToArray(), "a.png", "no known image signature");
        AssertRejected(ImageFixtures.Bytes("rgb.jpg")[..^40], "a.jpg", "truncated JPEG");
        AssertRejected(png[..^30], "a.png", "corrupt or truncated");
        AssertRejected(ImageFixtures.PngWithSize(60000, 60000), "huge.png", "found 60000x60000 in its header");
        AssertRejected(ImageFixtures.PngWithSize(0, 5), "zero.png", "zero.png");
        byte[] jpg = ImageFixtures.Bytes("rgb.jpg");
        int sof = jpg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
        jpg[sof + 5] = jpg[sof + 7] = 0xFD; // height and width 0xFDxx
        AssertRejected(jpg, "huge.jpg", $"found {0xFD00 + jpg[sof + 8]}x{0xFD00 + jpg[sof + 6]} in its header");
        byte[] bmp = ImageFixtures.Bytes("rgb.bmp");
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 100_000);
        AssertRejected(bmp, "huge.bmp", "found 100000x5 in its header");
    }

    private static void AssertRejected(byte[] bytes, string name, string fragment)
    {
        var e = Assert.Throws<NablaInputException>(() => ImageDecoder.Decode(bytes, 3, name));
        Assert.StartsWith(name + ":", e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
