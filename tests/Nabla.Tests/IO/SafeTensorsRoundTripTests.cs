using System.Buffers.Binary;
using System.Text;
using Nabla.IO;
using Xunit;

namespace Nabla.Tests.IO;

public class SafeTensorsRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Floats(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    [Fact]
    public void RoundTrip_AllDTypes_BitExact_IncludingNaNPayloadsAndInfinities()
    {
        var f = Floats(24, 1);
        f[0] = float.NaN; f[1] = float.PositiveInfinity; f[2] = float.NegativeInfinity; f[3] = -0f;
        f[4] = BitConverter.Int32BitsToSingle(0x7FC0_1234); f[5] = float.Epsilon;
        var d = new[] { 0.1, double.NaN, double.NegativeInfinity, -0.0, 1e300, double.Epsilon };
        var l = new[] { long.MinValue, -1L, 0L, long.MaxValue, (1L << 53) + 1 };
        sbyte[] q = [sbyte.MinValue, -1, 0, 1, sbyte.MaxValue];
        var tensors = new[]
        {
            SafeTensor.FromInt8("q.weight", [5], q),
            SafeTensor.FromFloat("conv.weight", [2, 3, 2, 2], f),
            SafeTensor.FromDouble("stats", [2, 3], d),
            SafeTensor.FromInt64("bn.num_batches_tracked", [5], l),
        };
        string path = Path.Combine(_dir, "all.safetensors");
        SafeTensorsFile.Write(path, tensors);
        var back = SafeTensorsFile.Read(path);

        Assert.Equal(["bn.num_batches_tracked", "stats", "conv.weight", "q.weight"], back.Tensors.Select(t => t.Name));
        var bf = back["conv.weight"];
        Assert.Equal(SafeDType.F32, bf.DType);
        Assert.Equal([2, 3, 2, 2], bf.Shape);
        Assert.Equal(f.Select(BitConverter.SingleToInt32Bits), bf.Float!.Select(BitConverter.SingleToInt32Bits));
        var bd = back["stats"];
        Assert.Equal(SafeDType.F64, bd.DType);
        Assert.Equal(d.Select(BitConverter.DoubleToInt64Bits), bd.Double!.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(d.Select(x => BitConverter.SingleToInt32Bits((float)x)), bd.Float!.Select(BitConverter.SingleToInt32Bits));
        Assert.Null(bd.Int64);
        Assert.Equal(l, back["bn.num_batches_tracked"].Int64);
        Assert.Null(back["bn.num_batches_tracked"].Float);
        var bq = back["q.weight"];
        Assert.Equal(SafeDType.I8, bq.DType);
        Assert.Equal(5, bq.ByteLength);
        Assert.Equal(q, bq.Int8);
        Assert.Equal([-128f, -1f, 0f, 1f, 127f], bq.Float);
        Assert.Null(bq.Int64);
    }

    [Fact]
    public void RoundTrip_ScalarsEmptyTensorsAndNoTensors()
    {
        var tensors = new[]
        {
            SafeTensor.FromFloat("loss", [], [0.25f]),
            SafeTensor.FromInt64("step", [], [7]),
            SafeTensor.FromFloat("empty", [0, 3], []),
            SafeTensor.FromDouble("empty64", [4, 0], []),
        };
        var back = SafeTensorsFile.Read(SafeTensorsFile.ToBytes(tensors), "mem");
        Assert.Empty(back["loss"].Shape);
        Assert.Equal(1, back["loss"].ElementCount);
        Assert.Equal(0.25f, back["loss"].Float![0]);
        Assert.Equal(7, back["step"].Int64![0]);
        Assert.Equal([0, 3], back["empty"].Shape);
        Assert.Empty(back["empty"].Float!);
        Assert.Empty(back["empty64"].Double!);

        var none = SafeTensorsFile.Read(SafeTensorsFile.ToBytes([]), "none");
        Assert.Empty(none.Tensors);
        Assert.Empty(none.Metadata);
    }

    [Fact]
    public void RoundTrip_Metadata_IncludingUnicodeAndQuotes()
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["rng"] = "{\"state\": [1, 2]}", ["note"] = "café ✓ ω", ["empty"] = "" };
        var bytes = SafeTensorsFile.ToBytes([SafeTensor.FromFloat("x", [1], [1f])], meta);
        var back = SafeTensorsFile.Read(bytes, "mem");
        Assert.Equal(meta.OrderBy(p => p.Key), back.Metadata.OrderBy(p => p.Key));
    }

    [Fact]
    public void Write_PadsHeaderWithSpacesToEightBytes_MetadataFirst()
    {
        for (int len = 1; len <= 9; len++)
        {
            var bytes = SafeTensorsFile.ToBytes([SafeTensor.FromFloat(new string('a', len), [1], [1f])], new Dictionary<string, string> { ["k"] = "v" });
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0UL, n % 8);
            var header = bytes.AsSpan(8, (int)n);
            Assert.StartsWith("{\"__metadata__\":{\"k\":\"v\"},", Encoding.UTF8.GetString(header));
            int end = header.LastIndexOf((byte)'}') + 1;
            Assert.InRange((int)n - end, 0, 7);
            Assert.True(header[end..].IndexOfAnyExcept((byte)' ') < 0, "padding is spaces only");
        }
    }

    [Fact]
    public void Read_AcceptsHeaderWithTrailingWhitespaceOfAnyKind()
    {
        string json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} \n\t\r ";
        var bytes = SafeTensorsMalformedTests.Build(json, BitConverter.GetBytes(2.5f));
        Assert.Equal(2.5f, SafeTensorsFile.Read(bytes, "ws")["x"].Float![0]);
    }

    [Fact]
    public void Write_OrdersLikeReference_I64ThenF64ThenF32_ThenByName()
    {
        var bytes = SafeTensorsFile.ToBytes(
        [
            SafeTensor.FromFloat("b", [1], [1f]), SafeTensor.FromFloat("a", [1], [1f]),
            SafeTensor.FromDouble("z", [1], [1]), SafeTensor.FromInt64("y", [1], [1]), SafeTensor.FromFloat("B", [1], [1f]),
        ]);
        Assert.Equal(["y", "z", "B", "a", "b"], SafeTensorsFile.Read(bytes, "m").Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Write_ReplacesExistingFile_AndLeavesNoTemporaryFiles()
    {
        string path = Path.Combine(_dir, "ckpt.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.FromFloat("w", [2], [1f, 2f])]);
        SafeTensorsFile.Write(path, [SafeTensor.FromFloat("w", [3], [3f, 4f, 5f])]);
        Assert.Equal([3f, 4f, 5f], SafeTensorsFile.Read(path)["w"].Float!);
        Assert.Equal(["ckpt.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Write_WhileAnotherThreadReads_ReaderAlwaysSeesACompleteVersion()
    {
        string path = Path.Combine(_dir, "live.safetensors");
        var small = new[] { SafeTensor.FromFloat("w", [4], [1f, 2f, 3f, 4f]) };
        var large = new[] { SafeTensor.FromFloat("w", [64, 1024], Floats(64 * 1024, 3)), SafeTensor.FromInt64("step", [], [9]) };
        SafeTensorsFile.Write(path, small);
        const int Writes = 30;
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < Writes; i++) SafeTensorsFile.Write(path, i % 2 == 0 ? large : small);
        });
        int reads = 0;
        while (!writer.IsCompleted || reads < 10)
        {
            var f = SafeTensorsFile.Read(path); // a non-atomic writer would expose truncated files here
            Assert.True(f.Tensors.Count == 1 ? f["w"].ElementCount == 4 : f["w"].ElementCount == 64 * 1024 && f["step"].Int64![0] == 9);
            reads++;
        }
        await writer;
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_FailingWhileCollectingTensors_LeavesTargetUntouched()
    {
        string path = Path.Combine(_dir, "keep.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.FromFloat("w", [1], [42f])]);
        byte[] before = File.ReadAllBytes(path);
        static IEnumerable<SafeTensor> Broken()
        {
            yield return SafeTensor.FromFloat("a", [1], [1f]);
            throw new InvalidOperationException("producer failed");
        }
        Assert.Throws<InvalidOperationException>(() => SafeTensorsFile.Write(path, Broken()));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [SafeTensor.FromFloat("a", [1], [1f]), SafeTensor.FromFloat("a", [1], [2f])]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_ToMissingDirectoryOrDirectoryOrUnwritablePlace_ThrowsNamingPath()
    {
        string missing = Path.Combine(_dir, "no", "such", "w.safetensors");
        var e1 = Assert.Throws<NablaInputException>(() => SafeTensorsFile.Write(missing, []));
        Assert.StartsWith(missing + ": ", e1.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "no")));

        var e2 = Assert.Throws<NablaInputException>(() => SafeTensorsFile.Write(_dir, []));
        Assert.StartsWith(_dir + ": ", e2.Message);

        const string procPath = "/proc/nabla-cannot-write.safetensors"; // procfs refuses new files, even for root
        if (OperatingSystem.IsLinux())
        {
            var e3 = Assert.Throws<NablaInputException>(() => SafeTensorsFile.Write(procPath, [SafeTensor.FromFloat("w", [1], [1f])]));
            Assert.StartsWith(procPath + ": cannot write", e3.Message);
            Assert.DoesNotContain('\n', e3.Message);
        }
    }

    [Fact]
    public void Indexer_MissingTensor_ThrowsNamingFileAndTensor()
    {
        var file = SafeTensorsFile.Read(SafeTensorsFile.ToBytes([SafeTensor.FromFloat("weight", [1], [1f])]), "w.safetensors");
        var e = Assert.Throws<NablaInputException>(() => file["bias"]);
        Assert.Equal("w.safetensors: no tensor named 'bias' (the file holds 1 tensors: 'weight')", e.Message);
        Assert.False(file.TryGet("bias", out _));
        Assert.True(file.Contains("weight"));
    }

    [Fact]
    public void Factories_RejectShapeMismatchNegativeDimsAndReservedName()
    {
        Assert.Throws<ArgumentException>(() => SafeTensor.FromFloat("x", [2, 2], new float[3]));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromFloat("x", [-1], []));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromInt64("x", [int.MaxValue, int.MaxValue, 2], []));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromDouble("__metadata__", [], [1.0]));
        int[] shape = [2];
        var t = SafeTensor.FromFloat("x", shape, [1f, 2f]);
        shape[0] = 5;
        Assert.Equal([2], t.Shape); // the factory copies the shape
    }

    [Fact]
    public void Read_NonSeekableStream_Works()
    {
        var bytes = SafeTensorsFile.ToBytes([SafeTensor.FromFloat("x", [2], [1f, 2f])]);
        using var pipe = new NonSeekable(bytes);
        Assert.Equal([1f, 2f], SafeTensorsFile.Read(pipe, "pipe")["x"].Float!);
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
