using System.Buffers.Binary;
using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using Nabla.Data;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Data;

/// <summary>
/// Property: an IDX reader handed a mutated valid file (plain or gzip) either loads it, with a data length
/// matching its shape, or throws <see cref="NablaInputException"/> naming the file — nothing else.
/// </summary>
public class IdxFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 12_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    /// <summary>One mutation: which base file, how it is encoded, what is changed where.</summary>
    public sealed record Mutation(int Base, Encoding Encoding, Kind Kind, int Position, int Value, int Length)
    {
        public override string ToString() => $"{Kind} base={Base} enc={Encoding} pos={Position} value=0x{Value:X8} len={Length}";
    }

    public enum Encoding { Plain, GzipOfMutated, MutatedGzip }

    public enum Kind { None, Truncate, FlipByte, SetByte, HeaderField, Append, Insert, Delete }

    private static readonly byte[][] BaseFiles =
    [
        IdxFiles.Labels(9, 11),
        IdxFiles.Images(4, 5, 3, 12),
        IdxFiles.Images(1, 28, 28, 13),
        IdxFiles.Build([2, 3, 2, 2], IdxFiles.RandomBytes(24, 14)),
    ];

    // Header values that stress the checks: zero, one, sign bit, all ones, near-overflow, off-by-one.
    private static readonly int[] Interesting = [0, 1, 2, -1, int.MinValue, int.MaxValue, 0x7FFFFFFE, 0x10000, 60000, 28, 255, 256, 0x0803, 0x0801];

    private static Gen<Mutation> Mutations() =>
        from b in Gen.Choose(0, BaseFiles.Length - 1)
        from enc in Gen.Elements(Encoding.Plain, Encoding.GzipOfMutated, Encoding.MutatedGzip)
        from kind in Gen.Elements(Enum.GetValues<Kind>())
        from pos in Gen.Choose(0, 1 << 20)
        from value in Gen.OneOf(Gen.Elements(Interesting), Gen.Choose(int.MinValue, int.MaxValue), Gen.Choose(-3, 3))
        from len in Gen.Choose(1, 40)
        select new Mutation(b, enc, kind, pos, value, len);

    private static byte[] Apply(byte[] src, Mutation m)
    {
        int n = src.Length;
        int at = n == 0 ? 0 : m.Position % (n + 1);
        switch (m.Kind)
        {
            case Kind.None: return src;
            case Kind.Truncate: return src[..Math.Min(at, Math.Max(0, n - 1))];
            case Kind.FlipByte:
                {
                    var c = (byte[])src.Clone();
                    if (n > 0) c[m.Position % n] ^= (byte)(1 << (m.Value & 7));
                    return c;
                }
            case Kind.SetByte:
                {
                    var c = (byte[])src.Clone();
                    if (n > 0) c[m.Position % Math.Min(n, 24)] = (byte)m.Value; // mostly header bytes
                    return c;
                }
            case Kind.HeaderField:
                {
                    var c = (byte[])src.Clone();
                    int fields = Math.Min(5, n / 4);
                    if (fields > 0) BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(4 * (m.Position % fields)), m.Value);
                    return c;
                }
            case Kind.Append: return [.. src, .. IdxFiles.RandomBytes(m.Length, m.Value)];
            case Kind.Insert: return [.. src[..at], .. IdxFiles.RandomBytes(m.Length, m.Value), .. src[at..]];
            case Kind.Delete: return [.. src[..at], .. src[Math.Min(n, at + m.Length)..]];
            default: throw new InvalidOperationException();
        }
    }

    private static byte[] Build(Mutation m)
    {
        byte[] plain = BaseFiles[m.Base];
        return m.Encoding switch
        {
            Encoding.Plain => Apply(plain, m),
            Encoding.GzipOfMutated => IdxFiles.Gzip(Apply(plain, m)),
            _ => Apply(IdxFiles.Gzip(plain), m),
        };
    }

    [Fact]
    public void Read_MutatedFiles_LoadOrFailCleanly()
    {
        int cases = 0, loaded = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        var property = Prop.ForAll(Mutations().ToArbitrary(), m =>
        {
            byte[] content = Build(m);
            string name = $"fuzz-{m.Kind}-{m.Encoding}.idx";
            cases++;
            try
            {
                using var stream = new MemoryStream(content, writable: false);
                var idx = IdxReader.Read(stream, name);
                long count = idx.Shape.Aggregate(1L, (a, d) => a * d);
                if (idx.Data.LongLength != count) throw new Exception($"{m}: loaded {idx.Data.Length} bytes for shape {string.Join('x', idx.Shape)}");
                loaded++;
            }
            catch (NablaInputException e)
            {
                if (!e.Message.StartsWith(name, StringComparison.Ordinal) || e.Message.Contains('\n'))
                    throw new Exception($"{m}: message does not name the file on one line: {e.Message}");
                rejected++;
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true), property);
        output.WriteLine($"{cases} cases in {clock.Elapsed.TotalSeconds:F1} s: {loaded} loaded, {rejected} rejected cleanly");
        Assert.True(cases >= Cases, $"ran {cases} cases");
        Assert.True(clock.Elapsed < Budget, $"{cases} cases took {clock.Elapsed.TotalSeconds:F1} s");
        // Both outcomes must be common, or the mutations are not exercising the reader.
        Assert.True(loaded > Cases / 20 && rejected > Cases / 2, $"loaded {loaded}, rejected {rejected}");
    }

    [Fact]
    public void Read_MutatedFilesOnDisk_NameThePath()
    {
        // The same property through the file API (fewer cases: it touches the disk).
        using var dir = new IdxFiles.TempDir();
        var sample = Gen.Sample(Mutations(), 300).ToArray();
        foreach (var m in sample)
        {
            string path = dir.File("case.gz", Build(m));
            try
            {
                IdxReader.Read(path);
            }
            catch (NablaInputException e)
            {
                Assert.StartsWith(path, e.Message);
            }
        }
    }
}
