using System.Diagnostics;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Nabla.Analysis;
using Nabla.IO.Onnx;
using Nabla.IO.Onnx.Proto;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// Property-based fuzzing of the ONNX importer: ten small torch-exported fixtures mutated at the byte level (truncation,
/// byte flips, inserted and deleted bytes, trailing garbage) and at the protobuf level (hostile dims, shortened
/// raw_data, rewired node inputs that make cycles or dangling values, unknown op types and attributes, external
/// data locations inside and outside the folder, opsets). Every case must import (and analyse) or throw a one-line
/// NablaInputException naming the file; nothing else escapes, and no case allocates what the file merely claims.
/// </summary>
public sealed class OnnxFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Cases = 20_000;
    private const string Src = "fuzz.onnx";
    private const long AllocationSlackBytes = 4 << 20;
    private const int AllocationPerInputByte = 64;

    private static readonly string[] Bases = ["lenet_opset13_fold1.onnx", "residual_opset17_fold0.onnx", "inception_opset11_fold1.onnx",
        "reshape_opset11_fold0.onnx", "relu6_opset13_fold1.onnx", "dedup_opset13_fold1.onnx", "pooling_opset17_fold1.onnx",
        "arith_opset13_fold0.onnx", "asym_pad_opset17_fold0.onnx", "elu_gelu_opset13_fold1.onnx"];

    private static readonly byte[][] BaseBytes = Bases.Select(b => File.ReadAllBytes(Path.Combine(OnnxImportFixtureTests.Root, b))).ToArray();

    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-onnxfuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    public enum Kind { Truncate, FlipByte, Insert, Delete, Append, Dims, RawData, Rewire, OpType, Attribute, External, Opset }

    public sealed record Mutation(Kind Kind, int A, int B, int C);

    public sealed record Case(int Base, Mutation[] Mutations)
    {
        public override string ToString() => $"{Bases[Base]}: {string.Join("; ", Mutations.Select(m => m.ToString()))}";
    }

    private static readonly long[] HostileDims = [0, 1, 2, 3, 7, 1 << 20, int.MaxValue, 1L << 31, 1L << 40, long.MaxValue, -1, long.MinValue];

    private static Gen<Case> CaseGen() =>
        from b in Gen.Choose(0, Bases.Length - 1)
        from n in Gen.Choose(1, 3)
        from ms in Gen.ArrayOf(
            from kind in Gen.Elements(Enum.GetValues<Kind>())
            from a in Gen.Choose(0, int.MaxValue - 1)
            from bb in Gen.Choose(0, int.MaxValue - 1)
            from c in Gen.Choose(0, int.MaxValue - 1)
            select new Mutation(kind, a, bb, c), n)
        select new Case(b, ms);

    private static byte[] Apply(byte[] file, Mutation m)
    {
        int len = file.Length;
        var bytes = new List<byte>(file);
        switch (m.Kind)
        {
            case Kind.Truncate: return file[..(m.A % (len + 1))];
            case Kind.FlipByte:
            {
                if (len == 0) return file;
                var c = (byte[])file.Clone();
                c[m.A % len] ^= (byte)(m.B % 255 + 1);
                return c;
            }
            case Kind.Insert:
                bytes.InsertRange(m.A % (len + 1), Enumerable.Range(0, m.B % 16 + 1).Select(i => (byte)(m.C >> (i % 4 * 8))));
                return bytes.ToArray();
            case Kind.Delete:
            {
                if (len == 0) return file;
                int at = m.A % len;
                bytes.RemoveRange(at, Math.Min(m.B % 16 + 1, len - at));
                return bytes.ToArray();
            }
            case Kind.Append:
                bytes.AddRange(Enumerable.Repeat((byte)m.C, m.B % 9 + 1));
                return bytes.ToArray();
        }
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(file); }
        catch (InvalidProtocolBufferException) { return file; } // an earlier byte mutation broke it: keep that
        var g = model.Graph;
        if (g is null) return file;
        var rng = new Random(m.C);
        switch (m.Kind)
        {
            case Kind.Dims when g.Initializer.Count > 0:
            {
                var t = g.Initializer[m.A % g.Initializer.Count];
                int count = rng.Next(0, 4);
                var dims = Enumerable.Range(0, count).Select(_ => m.B % 3 == 0 ? t.Dims.ElementAtOrDefault(rng.Next(Math.Max(1, t.Dims.Count))) : HostileDims[rng.Next(HostileDims.Length)]).ToList();
                t.Dims.Clear();
                t.Dims.AddRange(dims);
                break;
            }
            case Kind.RawData when g.Initializer.Count > 0:
            {
                var t = g.Initializer[m.A % g.Initializer.Count];
                t.RawData = ByteString.CopyFrom(t.RawData.Span[..(m.B % (t.RawData.Length + 1))]);
                break;
            }
            case Kind.Rewire when g.Node.Count > 1:
            {
                var n = g.Node[m.A % g.Node.Count];
                var other = g.Node[m.B % g.Node.Count];
                if (n.Input.Count > 0 && other.Output.Count > 0) n.Input[rng.Next(n.Input.Count)] = m.C % 5 == 0 ? "nowhere" : other.Output[0];
                break;
            }
            case Kind.OpType when g.Node.Count > 0:
            {
                string[] ops = ["Foo", "Conv", "Relu", "Add", "Concat", "Clip", "Identity", "Reshape", "Transpose", "Pad", "Gemm", "MatMul", "Constant", ""];
                g.Node[m.A % g.Node.Count].OpType = ops[m.B % ops.Length];
                break;
            }
            case Kind.Attribute when g.Node.Count > 0:
            {
                var n = g.Node[m.A % g.Node.Count];
                string[] names = ["kernel_shape", "strides", "pads", "dilations", "group", "axis", "perm", "alpha", "transB", "ceil_mode", "auto_pad", "epsilon"];
                long[] values = [0, 1, 2, -1, 1 << 20, int.MaxValue, long.MaxValue, long.MinValue];
                var a = n.Attribute.FirstOrDefault(x => x.Name == names[m.B % names.Length]);
                if (a is null) { a = new AttributeProto { Name = names[m.B % names.Length] }; n.Attribute.Add(a); }
                if (a.Ints.Count > 0 || rng.Next(2) == 0) { a.Ints.Clear(); a.Ints.AddRange(Enumerable.Range(0, rng.Next(0, 5)).Select(_ => values[rng.Next(values.Length)])); a.Type = 7; }
                else if (rng.Next(2) == 0) { a.I = values[rng.Next(values.Length)]; a.Type = 2; }
                else { a.F = new[] { 0f, -1f, float.NaN, float.PositiveInfinity, 1e30f }[rng.Next(5)]; a.Type = 1; }
                break;
            }
            case Kind.External when g.Initializer.Count > 0:
            {
                var t = g.Initializer[m.A % g.Initializer.Count];
                string[] locations = ["w.bin", "../w.bin", "/etc/hostname", "sub/../w.bin", "", "missing.bin", "..", "."];
                t.DataLocation = 1;
                t.ExternalData.Clear();
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = locations[m.B % locations.Length] });
                if (rng.Next(2) == 0) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = new[] { "0", "4", "-8", "99999999999", "x" }[rng.Next(5)] });
                if (rng.Next(2) == 0) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = new[] { "0", "16", "-1", "9223372036854775807" }[rng.Next(4)] });
                if (rng.Next(2) == 0) t.RawData = ByteString.Empty;
                break;
            }
            case Kind.Opset when model.OpsetImport.Count > 0:
                model.OpsetImport[0].Version = new long[] { 0, 10, 11, 12, 18, 19, -1, long.MaxValue }[m.B % 8];
                break;
        }
        return model.ToByteArray();
    }

    private int _imported, _rejected;
    private readonly Dictionary<string, int> _messages = new();

    private bool Check(Case c, string folder)
    {
        var bytes = c.Mutations.Aggregate(BaseBytes[c.Base], Apply);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var model = OnnxImporter.Import(bytes, Src, folder);
            ModelAnalyzer.Analyze(model.Spec);
            _imported++;
        }
        catch (NablaInputException e)
        {
            if (!e.Message.StartsWith(Src + ": ", StringComparison.Ordinal) || e.Message.Contains('\n') || e.Message.Contains('\r'))
                throw new Xunit.Sdk.XunitException($"{c}: message is not one line naming the file: {e.Message}");
            _rejected++;
            var key = Regex.Replace(e.Message, "[0-9]+|'[^']*'|\\[[^\\]]*\\]", "#");
            _messages[key] = _messages.GetValueOrDefault(key) + 1;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{c}: {e.GetType().Name} escaped: {e.Message} {e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Nabla.", StringComparison.Ordinal))?.Trim()}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationSlackBytes + AllocationPerInputByte * bytes.Length)
            throw new Xunit.Sdk.XunitException($"{c}: allocated {allocated} bytes for a {bytes.Length}-byte input");
        return true;
    }

    /// <summary>Cases unseeded runs once found, replayed on every run.</summary>
    public static TheoryData<int, Mutation[]> FormerFailures => new()
    {
        // A flipped byte left the reshape chain's Gather with one input: ShapeVector read Input[1] (ArgumentOutOfRange).
        { 3, [new(Kind.External, 238178692, 1520426166, 1071106074), new(Kind.FlipByte, 1326306452, 2002339408, 1514257876)] },
        // Dims [0, 2^31, 2^31]: zero elements passed the size check, and the int cast of 2^31 escaped as ArgumentException.
        { 5, [new(Kind.Dims, 730160413, 2136582599, 832938817), new(Kind.External, 839742413, 567842104, 1016159826), new(Kind.External, 874063446, 1285344727, 842105551)] },
    };

    [Theory]
    [MemberData(nameof(FormerFailures))]
    public void Import_FormerFailures_ImportOrFailCleanly(int baseIndex, Mutation[] mutations)
    {
        string folder = Path.Combine(_dir, "model");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "w.bin"), new byte[4096]);
        Assert.True(Check(new Case(baseIndex, mutations), folder));
    }

    [Fact]
    public void Import_MutatedFixtures_ImportOrFailCleanly()
    {
        string folder = Path.Combine(_dir, "model");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllBytes(Path.Combine(folder, "w.bin"), new byte[4096]);
        File.WriteAllBytes(Path.Combine(_dir, "w.bin"), new byte[4096]);
        var watch = Stopwatch.StartNew();
        // The suite replays one fixed seed (deterministic CI). To hunt, run with NABLA_FUZZ_SEED=random (a new seed each
        // run; `NABLA_FUZZ_SEED=random tools/heap_loop.sh -n 30 -f FullyQualifiedName~OnnxFuzzTests` loops it): a failure prints its case, which then goes into FormerFailures.
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true);
        if (Environment.GetEnvironmentVariable("NABLA_FUZZ_SEED") != "random") config = config.WithReplay(20261207UL, 0x9E3779B97F4A7C15UL);
        Prop.ForAll(Arb.From(CaseGen()), (Func<Case, bool>)(c => Check(c, folder))).Check(config);
        output.WriteLine($"{Cases} cases in {watch.Elapsed.TotalSeconds:F1} s: {_imported} imported, {_rejected} rejected");
        foreach (var (k, v) in _messages.OrderByDescending(p => p.Value).Take(30)) output.WriteLine($"{v,6}  {k}");
        Assert.Equal(Cases, _imported + _rejected);
        Assert.InRange(_imported, Cases / 20, Cases); // both outcomes common, or the fuzzer explores little
        Assert.InRange(_rejected, Cases / 4, Cases);
    }
}
