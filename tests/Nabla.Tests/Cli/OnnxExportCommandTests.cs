using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.IO;
using Nabla.IO.Onnx.Proto;
using Nabla.Tensors;
using Nabla.Tests.IO.Onnx;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>`nabla export --format onnx` through the command: the file it writes runs in ONNX Runtime with the
/// weights given, --fold-bn drops the BatchNorms, bad flags and inputs are exit 2 with one line and write nothing,
/// and an existing --out is replaced as the safetensors export replaces it.</summary>
public sealed class OnnxExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-onnxexport-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out) Export(params string[] args)
    {
        var output = new StringWriter();
        int code = new ExportCommand(output).Run(new Args("export", args));
        return (code, output.ToString());
    }

    private string[] Onnx(string outName, params string[] extra) =>
        ["--model", P("m.spec"), "--weights", P("w.safetensors"), "--format", "onnx", "--out", P(outName), .. extra];

    /// <summary>GradCommandTests' batch, run through <paramref name="onnxFile"/> in ONNX Runtime.</summary>
    private (float[] Got, float[] Expected) RunBoth(string onnxFile, Nabla.NN.Sequential model)
    {
        var x = TensorFiles.Load(P("b.safetensors"))["input"];
        model.Eval();
        var expected = OnnxExportKit.Forward(model, x);
        var (got, shape) = OnnxExportKit.RunOrt(File.ReadAllBytes(onnxFile), x);
        Assert.Equal(expected.Shape.Select(d => (long)d), shape);
        return (got, expected.ToArray());
    }

    private static List<string> InitializerNames(string file) =>
        ModelProto.Parser.ParseFrom(File.ReadAllBytes(file)).Graph.Initializer.Select(t => t.Name).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void ExportOnnx_Plain_WritesStateDictNames_AndRunsTheGivenWeights()
    {
        var model = GradCommandTests.WriteCase(_dir);
        var (code, stdout) = Export(Onnx("m.onnx"));
        Assert.Equal(0, code);
        Assert.Equal($"wrote {P("m.onnx")} (ONNX opset 17, input input [batch, 2, 6, 5])", stdout.TrimEnd());
        // Every state-dict tensor but the int64 counter, under its own name.
        var expectedNames = model.StateDict().Select(e => e.Name).Where(n => !n.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(expectedNames, InitializerNames(P("m.onnx")));
        var (got, expected) = RunBoth(P("m.onnx"), model);
        Assert.InRange(OnnxExportKit.RelErr(got, expected), 0, OnnxExportKit.Tolerance);
    }

    [Fact]
    public void ExportOnnx_FoldBn_DropsBatchNorm_KeepsTheOutput()
    {
        var model = GradCommandTests.WriteCase(_dir);
        var (code, stdout) = Export(Onnx("f.onnx", "--fold-bn"));
        Assert.Equal(0, code);
        Assert.EndsWith(", 1 BatchNorm layer(s) folded)", stdout.TrimEnd());
        Assert.Equal(["0.bias", "0.weight", "6.bias", "6.weight"], InitializerNames(P("f.onnx")));
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(P("f.onnx"))).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType == "BatchNormalization");
        var (got, expected) = RunBoth(P("f.onnx"), model);
        Assert.InRange(OnnxExportKit.RelErr(got, expected), 0, OnnxExportKit.Tolerance);
    }

    [Fact]
    public void ExportOnnx_OfAnOnnxModel_WithoutWeights_KeepsNamesAndValues()
    {
        var model = GradCommandTests.WriteCase(_dir);
        Assert.Equal(0, Export(Onnx("m.onnx")).Code);
        Assert.Equal(0, Export("--model", P("m.onnx"), "--format", "onnx", "--out", P("again.onnx")).Code);
        Assert.Equal(InitializerNames(P("m.onnx")), InitializerNames(P("again.onnx")));
        var (got, expected) = RunBoth(P("again.onnx"), model);
        Assert.InRange(OnnxExportKit.RelErr(got, expected), 0, OnnxExportKit.Tolerance);
    }

    [Theory]
    [InlineData("safetensors")]
    [InlineData("onnx")]
    public void Export_ExistingOut_IsReplacedWhole_NoTemporaryLeft(string format)
    {
        var model = GradCommandTests.WriteCase(_dir);
        string target = P("out." + format);
        File.WriteAllBytes(target, new byte[1 << 20]); // larger than the export: a replacement, not an overwrite in place
        Assert.Equal(0, Export("--model", P("m.spec"), "--weights", P("w.safetensors"), "--format", format, "--out", target).Code);
        if (format == "onnx")
        {
            var (got, expected) = RunBoth(target, model);
            Assert.InRange(OnnxExportKit.RelErr(got, expected), 0, OnnxExportKit.Tolerance);
        }
        else Assert.Equal(model.StateDict().Select(e => e.Name).Order(StringComparer.Ordinal), TensorFiles.Load(target).Keys.Order(StringComparer.Ordinal));
        Assert.True(new FileInfo(target).Length < 1 << 20);
        AssertOnly("b.safetensors", "m.spec", "out." + format, "w.safetensors");
    }

    [Fact]
    public void ExportOnnx_BadFlags_ExitTwo_OneLine_NothingWritten()
    {
        GradCommandTests.WriteCase(_dir);
        CliErrorTests.AssertUsageError(CliErrorTests.Run("export", "--model", P("m.spec"), "--weights", P("w.safetensors"), "--format", "tflite",
            "--out", P("a.onnx")), "--format", "'tflite'");
        CliErrorTests.AssertUsageError(CliErrorTests.Run(["export", .. Onnx("a.onnx", "--quantize", "int8")]), "--quantize int8 cannot be written as --format onnx");
        CliErrorTests.AssertUsageError(CliErrorTests.Run(["export", .. Onnx("a.onnx", "--opset", "13")]), "unknown option --opset");
        CliErrorTests.AssertUsageError(CliErrorTests.Run(["export", "--model", P("m.spec"), "--format", "onnx", "--out", P("a.onnx")]), "--weights");
        CliErrorTests.AssertUsageError(CliErrorTests.Run(["export", "--model", P("m.spec"), "--weights", P("w.safetensors"), "--format", "onnx"]), "--out");
        CliErrorTests.AssertUsageError(CliErrorTests.Run(["export", .. Onnx(Path.Combine("nowhere", "a.onnx"))]), "--out", "nowhere", "does not exist");
        AssertOnly("b.safetensors", "m.spec", "w.safetensors");
    }

    [Fact]
    public void ExportOnnx_BadWeights_ExitTwo_OneLine_KeepsTheOldOutUntouched()
    {
        GradCommandTests.WriteCase(_dir);
        byte[] old = [1, 2, 3, 4];
        File.WriteAllBytes(P("a.onnx"), old);
        // Weights of another model: the shapes do not fit m.spec.
        var other = ModelFactory.Build(Nabla.IO.Spec.Zoo.Load("mlp"), new Rng(1), new Rng(1));
        TensorFiles.Save(P("mlp.safetensors"), other.StateDict());
        var r = CliErrorTests.Run("export", "--model", P("m.spec"), "--weights", P("mlp.safetensors"), "--format", "onnx", "--out", P("a.onnx"));
        CliErrorTests.AssertUsageError(r, "mlp.safetensors");
        File.WriteAllBytes(P("trunc.safetensors"), File.ReadAllBytes(P("w.safetensors"))[..100]);
        r = CliErrorTests.Run("export", "--model", P("m.spec"), "--weights", P("trunc.safetensors"), "--format", "onnx", "--fold-bn", "--out", P("a.onnx"));
        CliErrorTests.AssertUsageError(r, "trunc.safetensors");
        Assert.Equal(old, File.ReadAllBytes(P("a.onnx")));
        AssertOnly("a.onnx", "b.safetensors", "m.spec", "mlp.safetensors", "trunc.safetensors", "w.safetensors");
    }

    [Fact]
    public void ExportOnnx_OutIsAFolder_ExitTwo_NoTemporaryLeft()
    {
        GradCommandTests.WriteCase(_dir);
        Directory.CreateDirectory(P("dir.onnx"));
        CliErrorTests.AssertUsageError(CliErrorTests.Run(["export", .. Onnx("dir.onnx")]), "dir.onnx", "cannot write");
        Assert.Empty(Directory.GetFileSystemEntries(P("dir.onnx")));
        AssertOnly("b.safetensors", "dir.onnx", "m.spec", "w.safetensors");
    }

    /// <summary>The temp folder holds exactly these entries (no partial file, no leftover temporary).</summary>
    private void AssertOnly(params string[] names) =>
        Assert.Equal(names, Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
}
