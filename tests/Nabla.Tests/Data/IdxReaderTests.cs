using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Data;

/// <summary>Builders of small synthetic IDX files for the data tests.</summary>
internal static class IdxFiles
{
    /// <summary>The bytes of an unsigned-byte IDX file with the given shape and data.</summary>
    public static byte[] Build(int[] shape, byte[] data)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    /// <summary>Seeded pseudo-random bytes (System.Random is fine for test data).</summary>
    public static byte[] RandomBytes(int n, int seed, int max = 256)
    {
        var r = new Random(seed);
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)r.Next(max);
        return b;
    }

    public static byte[] Labels(int n, int seed) => Build([n], RandomBytes(n, seed, 10));

    public static byte[] Images(int n, int h, int w, int seed) => Build([n, h, w], RandomBytes(n * h * w, seed));

    public static byte[] Gzip(byte[] plain)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        return ms.ToArray();
    }

    /// <summary>A fresh temporary directory, deleted when disposed.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nabla-data-test-" + Guid.NewGuid().ToString("N"));
        public TempDir() => Directory.CreateDirectory(Path);
        public string File(string name, byte[] content)
        {
            string p = System.IO.Path.Combine(Path, name);
            System.IO.File.WriteAllBytes(p, content);
            return p;
        }
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Writes the four standard files of a synthetic dataset into <paramref name="dir"/>.</summary>
    public static void WriteSplits(TempDir dir, int nTrain, int nTest, int h, int w, bool gzip)
    {
        string ext = gzip ? ".gz" : "";
        Func<byte[], byte[]> enc = gzip ? Gzip : b => b;
        dir.File("train-images-idx3-ubyte" + ext, enc(Images(nTrain, h, w, 1)));
        dir.File("train-labels-idx1-ubyte" + ext, enc(Labels(nTrain, 2)));
        dir.File("t10k-images-idx3-ubyte" + ext, enc(Images(nTest, h, w, 3)));
        dir.File("t10k-labels-idx1-ubyte" + ext, enc(Labels(nTest, 4)));
    }
}

public class IdxReaderTests
{
    private static IdxData ReadFile(byte[] content, string name, int dims = 0)
    {
        using var dir = new IdxFiles.TempDir();
        return IdxReader.Read(dir.File(name, content), dims);
    }

    private static NablaInputException Rejects(byte[] content, string name, int dims = 0)
    {
        using var dir = new IdxFiles.TempDir();
        string path = dir.File(name, content);
        var e = Assert.Throws<NablaInputException>(() => IdxReader.Read(path, dims));
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData(false, "x-idx1-ubyte")]
    [InlineData(true, "x-idx1-ubyte.gz")]
    [InlineData(true, "gzip-without-extension")]
    public void Read_RoundTripsLabels(bool gzip, string name)
    {
        byte[] plain = IdxFiles.Labels(37, 5);
        var idx = ReadFile(gzip ? IdxFiles.Gzip(plain) : plain, name, 1);
        Assert.Equal([37], idx.Shape);
        Assert.Equal(plain[8..], idx.Data);
        Assert.Equal(IdxReader.LabelsMagic, idx.Magic);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(plain)), idx.Sha256);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_RoundTripsImages(bool gzip)
    {
        byte[] plain = IdxFiles.Images(6, 5, 3, 7);
        var idx = ReadFile(gzip ? IdxFiles.Gzip(plain) : plain, "x-idx3-ubyte", 3);
        Assert.Equal([6, 5, 3], idx.Shape);
        Assert.Equal(plain[16..], idx.Data);
        Assert.Equal(IdxReader.ImagesMagic, idx.Magic);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(plain)), idx.Sha256);
    }

    [Fact]
    public void Read_RejectsMissingFile_NamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "nabla-no-such-file-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<NablaInputException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_RejectsBadMagic(bool gzip)
    {
        byte[] b = IdxFiles.Labels(4, 1);
        b[0] = 0x12;
        var e = Rejects(gzip ? IdxFiles.Gzip(b) : b, "bad");
        Assert.Contains("offset 0", e.Message);
    }

    [Fact]
    public void Read_RejectsOtherDataType_NamingIt()
    {
        byte[] b = IdxFiles.Labels(4, 1);
        b[2] = 0x0D;
        var e = Rejects(b, "float");
        Assert.Contains("offset 2", e.Message);
        Assert.Contains("float32", e.Message);
    }

    [Fact]
    public void Read_RejectsWrongDimensionCount()
    {
        var e = Rejects(IdxFiles.Labels(4, 1), "labels-as-images", dims: 3);
        Assert.Contains("offset 3", e.Message);
        Assert.Contains("expected 3 dimensions", e.Message);
        byte[] b = IdxFiles.Labels(4, 1);
        b[3] = 0;
        Rejects(b, "zero-dims");
        b[3] = 200;
        Rejects(b, "many-dims");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public void Read_RejectsZeroOrNegativeDimension(uint dim)
    {
        byte[] b = IdxFiles.Images(2, 3, 3, 1);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), dim);
        var e = Rejects(b, "dim");
        Assert.Contains("offset 8", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_RejectsHugeDimensions_WithoutAllocating(bool gzip)
    {
        // 60000 x 40000 x 40000 overflows any array; 2 x 30000 x 30000 fits an array but not this file.
        foreach (int[] shape in new[] { new[] { 60000, 40000, 40000 }, new[] { 2, 30000, 30000 }, new[] { int.MaxValue, int.MaxValue, int.MaxValue } })
        {
            byte[] b = IdxFiles.Build(shape, new byte[16]);
            byte[] content = gzip ? IdxFiles.Gzip(b) : b;
            long before = GC.GetAllocatedBytesForCurrentThread();
            Rejects(content, "huge");
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < AllocationLimitBytes, $"allocated {allocated} bytes for a {string.Join('x', shape)} header");
        }
    }

    private const long AllocationLimitBytes = 4 << 20;

    // The gzip buffer starts at 4 MiB and doubles with the data actually inflated.
    private const long GzipAllocationLimitBytes = 3 * IdxReader.InitialGzipBuffer;

    [Fact]
    public void Read_GzipWithLyingHeader_AllocatesOnlyWhatItHolds()
    {
        // 100 KB of incompressible data under a header claiming 100 MB: plausible for the compressed size,
        // so only the data actually inflated may bound the allocation.
        byte[] gz = IdxFiles.Gzip(IdxFiles.Build([1, 10000, 10000], IdxFiles.RandomBytes(100_000, 8)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Rejects(gz, "liar.gz");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", e.Message);
        Assert.True(allocated < GzipAllocationLimitBytes, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Read_GzipLargerThanFirstBuffer_RoundTrips()
    {
        byte[] plain = IdxFiles.Images(3, 1500, 1000, 9); // 4.5 MB: one buffer growth
        Assert.Equal(plain[16..], ReadFile(IdxFiles.Gzip(plain), "big.gz", 3).Data);
    }

    [Fact]
    public void Read_PlainFileNamedGz_MentionsBothMagics()
    {
        byte[] b = IdxFiles.Labels(3, 1);
        Assert.Equal(b[8..], ReadFile(b, "plain.gz").Data); // a valid plain file loads whatever its name
        b[1] = 7;
        Assert.Contains("gzip magic 1F 8B", Rejects(b, "bad.gz").Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_RejectsTruncatedFiles(bool gzip)
    {
        byte[] full = IdxFiles.Images(3, 4, 4, 2);
        foreach (int cut in new[] { 0, 1, 3, 4, 7, 15, 16, 17, full.Length - 1 })
        {
            byte[] b = full[..cut];
            var e = Rejects(gzip ? IdxFiles.Gzip(b) : b, "cut");
            Assert.Contains("truncated", e.Message);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_RejectsTrailingBytes(bool gzip)
    {
        byte[] b = [.. IdxFiles.Labels(5, 3), 0, 1];
        var e = Rejects(gzip ? IdxFiles.Gzip(b) : b, "trailing");
        Assert.Contains("trailing", e.Message);
        Assert.Contains("offset 13", e.Message);
    }

    [Fact]
    public void Read_RejectsCorruptGzip()
    {
        byte[] gz = IdxFiles.Gzip(IdxFiles.Images(20, 8, 8, 4));
        // A flipped byte in the deflate body or the CRC-32 trailer; a cut-off stream.
        foreach (int at in new[] { 12, gz.Length / 2, gz.Length - 6 })
        {
            byte[] bad = (byte[])gz.Clone();
            bad[at] ^= 0x5A;
            Rejects(bad, "corrupt.gz");
        }
        Rejects(gz[..(gz.Length / 2)], "cut.gz");
        Rejects(gz[..2], "magic-only.gz");
    }
}
