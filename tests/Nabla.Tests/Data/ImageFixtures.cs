using System.Text.Json;

namespace Nabla.Tests.Data;

/// <summary>The images of Fixtures/images (tools/make_image_fixtures.py) and what Pillow and PyTorch make of them.</summary>
internal static class ImageFixtures
{
    public static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "images");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Root, name));

    private static readonly Lazy<JsonElement> Expected = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "expected.json"))).RootElement);

    /// <summary>The expected (width, height, C x H x W values) of an entry of expected.json.</summary>
    public static (int Width, int Height, double[] Pixels) Reference(string key)
    {
        var e = Expected.Value.GetProperty(key);
        var px = e.GetProperty("pixels").EnumerateArray().SelectMany(ch => ch.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        return (e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32(), px);
    }

    /// <summary>A PNG whose IHDR claims <paramref name="width"/> x <paramref name="height"/> (CRC recomputed).</summary>
    public static byte[] PngWithSize(int width, int height)
    {
        byte[] png = Bytes("rgb.png");
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
