using System.Globalization;
using System.Text.Json;
using Nabla.IO;
using Xunit;

namespace Nabla.Tests.IO;

/// <summary>
/// Interop with Python: Fixtures/safetensors/python_written.safetensors was written by
/// tools/check_safetensors_interop.py (pure Python, numpy), and python_written.json beside it holds
/// the bit pattern of every value. Regenerate both with
/// <c>/usr/bin/python3 tools/check_safetensors_interop.py --write-fixture</c>.
/// </summary>
public class SafeTensorsFixtureTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors");
    private static readonly string FilePath = Path.Combine(Dir, "python_written.safetensors");

    private sealed record Expected(string DType, int[] Shape, string[] Bits, string[]? Float32Bits);

    private static (Dictionary<string, Expected> Tensors, Dictionary<string, string> Metadata) LoadExpected()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, "python_written.json")));
        var tensors = new Dictionary<string, Expected>();
        foreach (var p in doc.RootElement.GetProperty("tensors").EnumerateObject())
        {
            var v = p.Value;
            tensors[p.Name] = new Expected(
                v.GetProperty("dtype").GetString()!,
                v.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                v.GetProperty("bits").EnumerateArray().Select(b => b.GetString()!).ToArray(),
                v.TryGetProperty("float32_bits", out var f) ? f.EnumerateArray().Select(b => b.GetString()!).ToArray() : null);
        }
        var meta = doc.RootElement.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        return (tensors, meta);
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [Fact]
    public void PythonWrittenFile_ReadsEveryValueBitExact()
    {
        var (expected, meta) = LoadExpected();
        var file = SafeTensorsFile.Read(FilePath);
        Assert.Equal(meta.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var (name, e) in expected)
        {
            var t = file[name];
            Assert.Equal(e.DType, t.DType.ToString());
            Assert.Equal(e.Shape, t.Shape);
            ulong[] bits = t.DType switch
            {
                SafeDType.F32 => t.Float!.Select(x => (ulong)BitConverter.SingleToUInt32Bits(x)).ToArray(),
                SafeDType.F64 => t.Double!.Select(BitConverter.DoubleToUInt64Bits).ToArray(),
                SafeDType.I8 => t.Int8!.Select(x => (ulong)(byte)x).ToArray(),
                _ => t.Int64!.Select(x => (ulong)x).ToArray(),
            };
            Assert.Equal(e.Bits.Select(Hex), bits);
            if (e.Float32Bits is not null) // F64 -> float32 as numpy's astype(float32) rounds
                Assert.Equal(e.Float32Bits.Select(Hex), t.Float!.Select(x => (ulong)BitConverter.SingleToUInt32Bits(x)));
        }
    }

    [Fact]
    public void NablaWriter_ReproducesPythonFile_ByteForByte()
    {
        var (expected, meta) = LoadExpected();
        var tensors = expected.Select(kv => kv.Value.DType switch
        {
            "F32" => SafeTensor.FromFloat(kv.Key, kv.Value.Shape, kv.Value.Bits.Select(b => BitConverter.UInt32BitsToSingle((uint)Hex(b))).ToArray()),
            "F64" => SafeTensor.FromDouble(kv.Key, kv.Value.Shape, kv.Value.Bits.Select(b => BitConverter.UInt64BitsToDouble(Hex(b))).ToArray()),
            "I8" => SafeTensor.FromInt8(kv.Key, kv.Value.Shape, kv.Value.Bits.Select(b => (sbyte)(byte)Hex(b)).ToArray()),
            _ => SafeTensor.FromInt64(kv.Key, kv.Value.Shape, kv.Value.Bits.Select(b => (long)Hex(b)).ToArray()),
        });
        Assert.Equal(File.ReadAllBytes(FilePath), SafeTensorsFile.ToBytes(tensors, meta));
    }
}
