using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Nabla.IO;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.IO;

/// <summary>
/// Property-based fuzzing: valid files (random dtypes, shapes incl. scalars and empties, NaN/Inf data,
/// metadata) are mutated (truncation, byte flips, header-length changes, hostile JSON tokens, huge /
/// negative / overflowing dimensions, inserted and deleted bytes, trailing garbage), and every case must
/// either load cleanly or throw a one-line NablaInputException naming the file; nothing else, and
/// never an allocation sized by a field the file claims.
/// </summary>
public class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 20_000;
    private const string Src = "fuzz.safetensors";
    /// <summary>Allocation allowed per read: JSON parsing overhead plus a small multiple of the input's size.</summary>
    private const long AllocationSlackBytes = 1 << 20;
    private const int AllocationPerInputByte = 32;

    public enum Kind { None, Truncate, FlipByte, HeaderLength, Token, HostileShape, Insert, Delete, Append, DataSpecial }

    public sealed record Mutation(Kind Kind, int A, int B, long C);

    public sealed record Case(int Seed, Mutation[] Mutations)
    {
        public override string ToString() => $"seed {Seed}: {string.Join("; ", Mutations.Select(m => m.ToString()))}";
    }

    private static readonly long[] HeaderLengths =
        [0, 1, 7, 8, -1, -8, 1L << 31, 1L << 32, long.MaxValue, long.MinValue, -2, 100_000_000, 100_000_001];

    private static readonly string[] Tokens =
    [
        "-1", "0", "1", "3", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "1e400", "1.5", "-0", "NaN", "Infinity", "null", "true", "[]", "{}",
        "[1,2,3]", "\"BF16\"", "\"F16\"", "\"I32\"", "\"U8\"", "\"f32\"", "\"F32\"", "\"F64\"", "\"I64\"", "\"\"",
        "\"__metadata__\"", "\"shape\"", "\"dtype\"", "\"data_offsets\"", "\"\\ud800\"", "\"\\u0000\"", "\"é\"", "{\"a\":1}",
    ];

    private static readonly long[] HostileDims =
        [0, 1, 2, 3, 65536, int.MaxValue, 1L << 31, 1L << 32, 1L << 62, long.MaxValue, -1, -(1L << 31)];

    private static Gen<Mutation> MutationGen() =>
        from kind in Gen.Elements(Enum.GetValues<Kind>().Where(k => k != Kind.None))
        from a in Gen.Choose(0, int.MaxValue - 1)
        from b in Gen.Choose(0, int.MaxValue - 1)
        from c in Gen.Choose(0, int.MaxValue - 1)
        select new Mutation(kind, a, b, c);

    private static Gen<Case> CaseGen() =>
        from seed in Gen.Choose(0, int.MaxValue - 1)
        from n in Gen.Frequency((1, Gen.Constant(0)), (12, Gen.Choose(1, 3)))
        from ms in Gen.ArrayOf(MutationGen(), n)
        select new Case(seed, ms);

    /// <summary>A valid file from a seed: 0-4 tensors of random dtype and shape, specials in the data, maybe metadata.</summary>
    internal static (byte[] Bytes, SafeTensor[] Tensors) BaseFile(int seed)
    {
        var rng = new Random(seed);
        var tensors = new List<SafeTensor>();
        int count = rng.Next(5);
        for (int i = 0; i < count; i++)
        {
            int[] shape = Enumerable.Range(0, rng.Next(4)).Select(_ => rng.Next(4)).ToArray();
            int numel = shape.Aggregate(1, (p, d) => p * d);
            string name = rng.Next(6) == 0 ? $"ω.{i}" : $"layer{rng.Next(10)}.{i}.weight";
            tensors.Add(rng.Next(3) switch
            {
                0 => SafeTensor.FromFloat(name, shape, Enumerable.Range(0, numel).Select(_ => (float)Special(rng)).ToArray()),
                1 => SafeTensor.FromDouble(name, shape, Enumerable.Range(0, numel).Select(_ => Special(rng)).ToArray()),
                _ => SafeTensor.FromInt64(name, shape, Enumerable.Range(0, numel).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue)).ToArray()),
            });
        }
        var meta = rng.Next(2) == 0 ? null : new Dictionary<string, string> { ["step"] = rng.Next().ToString(), ["note"] = "x" };
        return (SafeTensorsFile.ToBytes(tensors, meta), tensors.ToArray());
    }

    private static double Special(Random rng) => rng.Next(8) switch
    {
        0 => double.NaN,
        1 => rng.Next(2) == 0 ? double.PositiveInfinity : double.NegativeInfinity,
        2 => -0.0,
        3 => double.Epsilon,
        _ => rng.NextDouble() * 200 - 100,
    };

    internal static byte[] Apply(byte[] file, Mutation m)
    {
        var bytes = new List<byte>(file);
        int len = file.Length;
        switch (m.Kind)
        {
            case Kind.Truncate:
                return file[..(m.A % (len + 1))];
            case Kind.FlipByte:
                if (len == 0) return file;
                var flipped = (byte[])file.Clone();
                flipped[m.A % len] ^= (byte)(m.B % 255 + 1);
                return flipped;
            case Kind.HeaderLength:
            {
                if (len < 8) return file;
                var copy = (byte[])file.Clone();
                ulong n = BinaryPrimitives.ReadUInt64LittleEndian(copy);
                long[] near = [(long)n - 1, (long)n + 1, (long)n + 8, len, len - 8];
                long v = m.B % 2 == 0 ? HeaderLengths[m.A % HeaderLengths.Length] : near[m.A % near.Length];
                BinaryPrimitives.WriteInt64LittleEndian(copy, v);
                return copy;
            }
            case Kind.Token:
            case Kind.HostileShape:
                return EditHeader(file, m);
            case Kind.Insert:
            {
                int at = m.A % (len + 1), count = m.B % 16 + 1;
                bytes.InsertRange(at, Enumerable.Range(0, count).Select(i => (byte)(m.C >> (i % 4 * 8))));
                return FixLength(bytes.ToArray(), at, count, m);
            }
            case Kind.Delete:
            {
                if (len == 0) return file;
                int at = m.A % len, count = Math.Min(m.B % 16 + 1, len - at);
                bytes.RemoveRange(at, count);
                return FixLength(bytes.ToArray(), at, -count, m);
            }
            case Kind.Append:
                bytes.AddRange(Enumerable.Repeat((byte)m.C, m.B % 9 + 1));
                return bytes.ToArray();
            case Kind.DataSpecial:
            {
                // NaN / Inf bit patterns written over the data buffer: the structure stays valid.
                if (len < 8) return file;
                ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
                if (n > (ulong)len - 8) return file;
                int start = 8 + (int)n, room = len - start;
                if (room < 4) return file;
                var copy = (byte[])file.Clone();
                uint[] specials = [0x7FC00000, 0x7F800000, 0xFF800000, 0x7FF80000, 0xFFF00000, 0x7F800001];
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(start + m.A % (room - 3)), specials[m.B % specials.Length]);
                return copy;
            }
            default:
                return file;
        }
    }

    /// <summary>After an insertion or deletion inside the header, usually moves the length prefix along so parsing reaches the edit.</summary>
    private static byte[] FixLength(byte[] bytes, int at, int delta, Mutation m)
    {
        if (m.C % 4 == 0 || at < 8 || bytes.Length < 8) return bytes;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if ((ulong)at < 8 + n) BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)((long)n + delta));
        return bytes;
    }

    /// <summary>Rewrites the JSON header text: a hostile token in place of one, or a hostile shape with consistent offsets.</summary>
    private static byte[] EditHeader(byte[] file, Mutation m)
    {
        if (file.Length < 8) return file;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (n > (ulong)file.Length - 8) return file;
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        var data = file.AsSpan(8 + (int)n).ToArray();
        string edited;
        if (m.Kind == Kind.Token)
        {
            var tokens = Regex.Matches(header, "-?[0-9]+|\"[^\"]*\"");
            if (tokens.Count == 0) return file;
            var t = tokens[m.A % tokens.Count];
            edited = header[..t.Index] + Tokens[m.B % Tokens.Length] + header[(t.Index + t.Length)..];
        }
        else
        {
            var shapes = Regex.Matches(header, "\"shape\":\\[[^\\]]*\\],\"data_offsets\":\\[([0-9]+),[0-9]+\\]");
            if (shapes.Count == 0) return file;
            var s = shapes[m.A % shapes.Count];
            var rng = new Random((int)m.C);
            var dims = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => HostileDims[rng.Next(HostileDims.Length)]).ToArray();
            if (!ulong.TryParse(s.Groups[1].Value, out ulong begin)) return file; // an earlier mutation put a huge number there
            var bytesClaimed = dims.Aggregate((System.Numerics.BigInteger)(m.B % 2 == 0 ? 4 : 8), (p, d) => p * d);
            var end = (begin + bytesClaimed) & ulong.MaxValue; // wraps like an unchecked u64 would
            edited = header[..s.Index] + $"\"shape\":[{string.Join(",", dims)}],\"data_offsets\":[{begin},{end}]" + header[(s.Index + s.Length)..];
        }
        // Usually keep the length prefix consistent so the edit reaches validation; sometimes not.
        return m.C % 4 == 0
            ? [.. file.AsSpan(0, 8), .. Encoding.UTF8.GetBytes(edited), .. data]
            : SafeTensorsMalformedTests.Build(edited, data);
    }

    private int _loaded, _rejected, _unchanged;
    private readonly Dictionary<string, int> _messages = new();

    private bool Check(Case c)
    {
        var (original, tensors) = BaseFile(c.Seed);
        var bytes = c.Mutations.Aggregate(original, Apply);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var file = SafeTensorsFile.Read(bytes, Src);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationSlackBytes + AllocationPerInputByte * bytes.Length)
                throw new Xunit.Sdk.XunitException($"{c}: loading allocated {allocated} bytes for a {bytes.Length}-byte input");
            foreach (var t in file.Tensors)
            {
                long numel = t.Shape.Aggregate(1L, (p, d) => p * d);
                int length = t.Float?.Length ?? t.Int64!.Length;
                if (numel != length || numel != t.ElementCount)
                    throw new Xunit.Sdk.XunitException($"{c}: tensor {t.Name} has shape [{string.Join(",", t.Shape)}] but {length} elements");
            }
            if (bytes.AsSpan().SequenceEqual(original))
            {
                _unchanged++;
                if (!SafeTensorsFile.ToBytes(file.Tensors, file.Metadata).AsSpan().SequenceEqual(original))
                    throw new Xunit.Sdk.XunitException($"{c}: an unmutated file did not round-trip byte for byte");
            }
            _loaded++;
            return true;
        }
        catch (NablaInputException e)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (!e.Message.StartsWith(Src + ": ", StringComparison.Ordinal) || e.Message.Contains('\n') || e.Message.Contains('\r'))
                throw new Xunit.Sdk.XunitException($"{c}: message is not one line naming the file: {e.Message}");
            if (allocated > AllocationSlackBytes + AllocationPerInputByte * bytes.Length)
                throw new Xunit.Sdk.XunitException($"{c}: rejecting allocated {allocated} bytes for a {bytes.Length}-byte input ({e.Message})");
            _rejected++;
            var key = Regex.Replace(e.Message, "0x[0-9A-F]{2}|[0-9]+|'[^']*'", "#");
            _messages[key] = _messages.GetValueOrDefault(key) + 1;
            return true;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{c}: {e.GetType().Name} escaped: {e.Message}");
        }
    }

    [Fact]
    public void Read_MutatedValidFiles_LoadCleanlyOrFailCleanly()
    {
        var watch = Stopwatch.StartNew();
        Prop.ForAll(Arb.From(CaseGen()), (Func<Case, bool>)Check)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true));
        watch.Stop();
        output.WriteLine($"{_loaded + _rejected} cases in {watch.Elapsed.TotalSeconds:F1} s: {_loaded} loaded ({_unchanged} unmutated, round-tripped), {_rejected} rejected");
        foreach (var (k, v) in _messages.OrderByDescending(p => p.Value).Take(25)) output.WriteLine($"{v,6}  {k}");
        Assert.Equal(Cases, _loaded + _rejected);
        Assert.InRange(_loaded, Cases / 20, Cases); // both outcomes must be common, or the fuzzer explores little
        Assert.InRange(_rejected, Cases / 2, Cases);
    }
}
