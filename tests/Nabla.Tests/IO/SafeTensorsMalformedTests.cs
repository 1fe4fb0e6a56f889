using System.Buffers.Binary;
using System.Text;
using Nabla.IO;
using Xunit;

namespace Nabla.Tests.IO;

/// <summary>Every malformed case of issues 3 and 7: one NablaInputException line naming the file and the problem.</summary>
public class SafeTensorsMalformedTests : IDisposable
{
    private const string Src = "bad.safetensors";
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-st-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A file with the given header text (length prefix computed) and data buffer.</summary>
    internal static byte[] Build(string header, byte[] data) => Build(Encoding.UTF8.GetBytes(header), data);

    internal static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static string Entry(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    private static NablaInputException Rejects(byte[] bytes, string fragment)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(bytes, Src));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith(Src + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.InRange(allocated, 0, MaxAllocationBytes);
        return e;
    }

    /// <summary>A rejected small file may cost parsing overhead, never anything sized by a claimed length.</summary>
    private const long MaxAllocationBytes = 1 << 20;

    private static readonly byte[] Eight = new byte[8];

    [Theory]
    [InlineData("{" + "\"x\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}", "tensor 'x' has dtype BF16; Nabla reads F32, F64, I64, I8")]
    [InlineData("{\"x\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "has dtype f32; Nabla reads")]
    [InlineData("{\"x\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", "has no string 'dtype' (found a number)")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "data_offsets [0, 8] span 8 bytes; expected 12 for F32 shape [3]")]
    [InlineData("{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", "span 8 bytes; expected 16 for F64")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape[0] is -2; expected a non-negative integer")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", "shape[0] is 1.5; expected a non-negative integer")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", "shape[0] is \"2\"")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", "shape[0] is 4294967296; Nabla supports dimensions up to 2147483647")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,8]}}", "shape[0] is 99999999999999999999999")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", "more elements than an array holds")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", "has no 'shape' array (found a number)")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", "has no 'data_offsets' [begin, end] pair (found nothing)")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", "has no 'data_offsets' [begin, end] pair (found [0,4,8])")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", "data_offsets are [-8,0]; expected two non-negative integers")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "data_offsets [8, 0] end before they begin")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e400]}}", "expected two non-negative integers")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "tensor 'x' data_offsets [0, 16] run past the data buffer, which holds 8 bytes")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[18446744073709551608,18446744073709551616]}}", "expected two non-negative integers")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[18446744073709551615,18446744073709551615]}}", "run past the data buffer")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "data buffer holds 8 bytes but the tensors cover 4; expected no trailing bytes")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "tensor 'y' data_offsets [2, 6] overlap tensor 'x', which ends at 4")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "overlap tensor 'x'")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "tensor 'x' data_offsets begin at 4; expected 0")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "header lists 'x' twice")]
    [InlineData("{\"x\":[1,2]}", "tensor 'x' is a JSON array; expected an object")]
    [InlineData("{\"__metadata__\":{\"k\":3},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "__metadata__ key 'k' has a number value; expected a string")]
    [InlineData("{\"__metadata__\":[\"k\"]}", "__metadata__ is a JSON array")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "header is not valid JSON at byte")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", "header is not valid JSON at byte")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} trailing", "header is not valid JSON at byte")]
    [InlineData("[{\"x\":1}]", "header at byte 8 starts with '['; expected '{'")]
    [InlineData(" {}", "header at byte 8 starts with ' '")]
    [InlineData("{\"\\u0007bell\\n\":{\"dtype\":\"X\",\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor '\\u0007bell\\u000A' has dtype X")]
    public void Read_MalformedHeader_OneLineNamingProblem(string header, string fragment)
    {
        Rejects(Build(header, Eight), fragment);
    }

    [Fact]
    public void Read_InvalidJsonOffset_IsAFileByteOffset()
    {
        var e = Rejects(Build("{\"x\" 1}", []), "header is not valid JSON at byte 13");
        Assert.Contains("'1'", e.Message);
        Rejects(Build("{\n\"x\":\n  @}", []), "not valid JSON at byte 17");
    }

    [Fact]
    public void Read_InvalidUtf8_NamesByteOffset()
    {
        var header = Encoding.UTF8.GetBytes("{\"ab\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        header[3] = 0xFF;
        Rejects(Build(header, Eight), "header is not valid UTF-8 at byte 11 (found 0xFF)");
        header[3] = 0xC3; // a truncated two-byte sequence
        Rejects(Build(header, Eight), "not valid UTF-8 at byte 11 (found 0xC3)");
    }

    [Fact]
    public void Read_TooShortAndHeaderLengthProblems()
    {
        Rejects([], "file is empty");
        Rejects([1, 2, 3, 4, 5], "file is 5 bytes, too short for the 8-byte header length");
        Rejects(new byte[8], "header length at byte 0 is 0; expected a JSON object");
        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        Rejects(huge, $"header length at byte 0 is {ulong.MaxValue}, past the end of the file (only 8 bytes follow)");
        BinaryPrimitives.WriteUInt64LittleEndian(huge, 1UL << 40);
        Rejects(huge, "past the end of the file");
        var big = new byte[8 + 100_000_001];
        BinaryPrimitives.WriteUInt64LittleEndian(big, 100_000_001);
        Assert.Contains("above the 100000000-byte limit", Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(big, Src)).Message);
    }

    [Fact]
    public void Read_TruncatedValidFile_EveryLength_FailsCleanly()
    {
        var good = SafeTensorsFile.ToBytes([SafeTensor.FromFloat("w", [3], [1f, 2f, 3f]), SafeTensor.FromInt64("n", [], [5])]);
        for (int len = 0; len < good.Length; len++)
            Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(good.AsSpan(0, len).ToArray(), Src));
        Rejects(good[..^1], "run past the data buffer");
    }

    [Fact]
    public void Read_ClaimedHugeTensor_InTinyFile_AllocatesNothingLarge()
    {
        // 2e9 floats claimed with consistent offsets: the check against the file size comes first.
        const string header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2000000000],\"data_offsets\":[0,8000000000]}}";
        Rejects(Build(header, Eight), "run past the data buffer, which holds 8 bytes");
    }

    [Fact]
    public void Read_MissingFileDirectoryEmptyFile_OnDisk()
    {
        string missing = Path.Combine(_dir, "missing.safetensors");
        Assert.Equal($"{missing}: no such file", Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(missing)).Message);
        Assert.Equal($"{_dir}: is a directory; expected a safetensors file", Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(_dir)).Message);
        string empty = Path.Combine(_dir, "empty.safetensors");
        File.WriteAllBytes(empty, []);
        Assert.StartsWith($"{empty}: file is empty", Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(empty)).Message);
        string truncated = Path.Combine(_dir, "truncated.safetensors");
        File.WriteAllBytes(truncated, SafeTensorsFile.ToBytes([SafeTensor.FromFloat("w", [4], new float[4])])[..^3]);
        Assert.StartsWith($"{truncated}: tensor 'w' data_offsets [0, 16] run past", Assert.Throws<NablaInputException>(() => SafeTensorsFile.Read(truncated)).Message);
    }

    [Fact]
    public void Read_NamesTensorsSafely_ClippingLongNames()
    {
        string name = new('n', 500);
        var e = Rejects(Build("{" + Entry(name, "U8", "[8]", "[0,8]") + "}", Eight), "has dtype U8");
        Assert.True(e.Message.Length < 200, e.Message);
    }
}
