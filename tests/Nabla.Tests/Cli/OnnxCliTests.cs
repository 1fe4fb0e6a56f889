using System.Text.Json;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>
/// `--model FILE.onnx` through the real CLI in every command that takes a model (summary, eval, grad, gradcheck,
/// train, export), on lenet_named.onnx from tools/make_onnx_fixtures.py (cli): a torch-exported LeNet whose
/// initializers carry state_dict names (conv1.weight, bn1.running_mean). PyTorch float64 results of the same
/// weights on the same batch are in lenet_named.ref.safetensors. unsupported.onnx has a node of op Foo, which every
/// command refuses with the same single line.
/// </summary>
public sealed class OnnxCliTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "cli");
    private static readonly string Lenet = Path.Combine(Fixtures, "lenet_named.onnx");
    private static readonly string Ref = Path.Combine(Fixtures, "lenet_named.ref.safetensors");
    private const double Tolerance = 1e-4;

    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-onnxcli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>Runs the CLI with the test's folder as working directory (so relative paths appear as given).</summary>
    private (int Code, string Out, string Err) Run(params string[] args) => CliErrorTests.RunIn(_dir, args);

    private static void AssertOk((int Code, string Out, string Err) r) => Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}{r.Out}");

    private static double RelErr(Tensor got, Tensor expected)
    {
        Assert.Equal(expected.Shape.ToArray(), got.Shape.ToArray());
        double diff = 0, scale = 0;
        var a = got.ToArray();
        var b = expected.ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        return scale > 0 ? diff / scale : diff;
    }

    /// <summary>The file's own initializers, as the importer reads them.</summary>
    private static IReadOnlyDictionary<string, Tensor> FileWeights() => OnnxImporter.Load(Lenet).Spec.InitialWeights!;

    [Fact]
    public void Summary_Positional_CountsPyTorchsParameters()
    {
        var r = Run("summary", Lenet, "--format", "json");
        AssertOk(r);
        using var json = JsonDocument.Parse(r.Out);
        // PyTorch's trainable parameters are exactly the tensors it wrote gradients for.
        long expected = SafeTensorsFile.Read(Ref).Tensors.Where(t => t.Name.StartsWith("grad.", StringComparison.Ordinal) && t.Name != "grad.input")
            .Sum(t => t.Shape.Aggregate(1L, (a, d) => a * d));
        Assert.Equal(1042, expected);
        Assert.Equal(expected, json.RootElement.GetProperty("total").GetProperty("params").GetInt64());
        Assert.Equal([1, 8, 8], json.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Grad_WithoutWeights_MatchesPyTorch_UnderStateDictNames()
    {
        var r = Run("grad", "--model", Lenet, "--batch", Ref, "--out", P("o.safetensors"));
        AssertOk(r);
        var got = TensorFiles.Load(P("o.safetensors"));
        var expected = TensorFiles.Load(Ref);
        var names = expected.Keys.Where(k => k is not ("input" or "target")).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("grad.conv1.weight", names);
        Assert.Contains("grad.bn1.weight", names);
        Assert.Equal(names, got.Keys.Order(StringComparer.Ordinal));
        foreach (var n in names) Assert.True(RelErr(got[n], expected[n]) <= Tolerance, $"{n}: err {RelErr(got[n], expected[n]):E2}");
    }

    [Fact]
    public void Grad_WeightsGiven_ReplaceTheFilesByName()
    {
        var w = FileWeights().ToDictionary(e => e.Key, e => e.Key == "fc2.bias" ? new Tensor(e.Value.ToArray().Select(v => v + 1f).ToArray(), e.Value.Shape.ToArray()) : e.Value, StringComparer.Ordinal);
        TensorFiles.Save(P("w.safetensors"), w.Select(e => (e.Key, e.Value)));
        AssertOk(Run("grad", "--model", Lenet, "--weights", P("w.safetensors"), "--batch", Ref, "--out", P("o.safetensors")));
        var got = TensorFiles.Load(P("o.safetensors"))["output"].ToArray();
        var plain = TensorFiles.Load(Ref)["output"].ToArray();
        // Adding 1 to every bias of the last layer adds 1 to every logit.
        for (int i = 0; i < got.Length; i++) Assert.Equal(plain[i] + 1, got[i], 1e-4);
    }

    [Fact]
    public void Gradcheck_Positional_PassesUnderStateDictNames()
    {
        var r = Run("gradcheck", Lenet);
        AssertOk(r);
        foreach (var n in new[] { "conv1.weight", "bn1.bias", "fc2.bias" }) Assert.Contains(n, r.Out);
    }

    [Fact]
    public void Eval_WithoutWeights_UsesTheFilesWeights()
    {
        string data = KillResumeTests.WriteIdx(P("data"), 64, 40);
        AssertOk(Run("export", "--model", Lenet, "--out", P("w.safetensors")));
        var own = Run("eval", "--model", Lenet, "--data", data);
        AssertOk(own);
        Assert.Contains("test accuracy", own.Out);
        var given = Run("eval", "--model", Lenet, "--weights", P("w.safetensors"), "--data", data);
        AssertOk(given);
        Assert.Equal(given.Out, own.Out);
        // Other weights give other losses: the file's weights are what eval ran.
        var w = FileWeights().ToDictionary(e => e.Key, e => new Tensor(e.Value.ToArray().Select(v => v * 0.5f).ToArray(), e.Value.Shape.ToArray()), StringComparer.Ordinal);
        TensorFiles.Save(P("half.safetensors"), w.Select(e => (e.Key, e.Value)));
        var half = Run("eval", "--model", Lenet, "--weights", P("half.safetensors"), "--data", data);
        AssertOk(half);
        Assert.NotEqual(own.Out.Split('\n')[0], half.Out.Split('\n')[0]);
    }

    [Fact]
    public void Train_FineTunesFromTheFile_InitReinitialises()
    {
        string data = KillResumeTests.WriteIdx(P("data"), 64, 16);
        string[] common = ["train", "--model", Lenet, "--data", data, "--epochs", "1", "--batch-size", "16", "--threads", "1", "--lr", "1e-9"];
        AssertOk(Run([.. common, "--out", P("tuned")]));
        AssertOk(Run([.. common, "--init", "--out", P("fresh")]));
        var file = FileWeights();
        var tuned = TensorFiles.Load(Path.Combine(P("tuned"), "model.safetensors"));
        var fresh = TensorFiles.Load(Path.Combine(P("fresh"), "model.safetensors"));
        foreach (var n in new[] { "conv1.weight", "conv2.bias", "fc1.weight", "fc2.bias" })
        {
            // A learning rate of 1e-9 moves Adam's weights by about 4e-9 (4 steps): the run started from the file.
            Assert.True(RelErr(tuned[n], file[n]) < 1e-6, $"{n}: fine-tuned err {RelErr(tuned[n], file[n]):E2}");
            Assert.True(RelErr(fresh[n], file[n]) > 0.1, $"{n}: --init err {RelErr(fresh[n], file[n]):E2}");
        }
        Assert.Equal(file.Keys.Order(StringComparer.Ordinal), tuned.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Export_WithoutWeights_WritesTheFilesWeights_AndFoldsUnderStateDictNames()
    {
        var r = Run("export", "--model", Lenet, "--out", P("w.safetensors"));
        AssertOk(r);
        var w = TensorFiles.Load(P("w.safetensors"));
        foreach (var (name, t) in FileWeights()) Assert.Equal(t.ToArray(), w[name].ToArray());
        AssertOk(Run("export", "--model", Lenet, "--fold-bn", "--out", P("f.safetensors")));
        var f = TensorFiles.Load(P("f.safetensors"));
        Assert.Equal(["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"], f.Keys.Order(StringComparer.Ordinal));
        // The folded weights give PyTorch's output.
        AssertOk(Run("grad", "--model", Lenet, "--weights", P("f.safetensors"), "--folded", "--batch", Ref, "--out", P("o.safetensors")));
        Assert.True(RelErr(TensorFiles.Load(P("o.safetensors"))["output"], TensorFiles.Load(Ref)["output"]) <= Tolerance);
        AssertOk(Run("export", "--model", Lenet, "--format", "onnx", "--out", P("again.onnx")));
        Assert.True(File.Exists(P("again.onnx")));
    }

    public static TheoryData<string[]> Commands() => new()
    {
        new[] { "summary", "m.onnx" },
        new[] { "gradcheck", "m.onnx" },
        new[] { "eval", "--model", "m.onnx" },
        new[] { "grad", "--model", "m.onnx", "--batch", "b.safetensors", "--out", "o.safetensors" },
        new[] { "train", "--model", "m.onnx", "--out", "run" },
        new[] { "export", "--model", "m.onnx", "--out", "w.safetensors" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void UnsupportedOperator_ExitTwo_OneLineNamingTheNode(string[] args)
    {
        File.Copy(Path.Combine(Fixtures, "unsupported.onnx"), P("m.onnx"));
        var r = Run(args);
        Assert.Equal(2, r.Code);
        Assert.Equal($"nabla {args[0]}: m.onnx: node '/layer1/Foo' (op Foo, opset 13) is not supported", r.Err.TrimEnd('\n'));
        Assert.Equal("", r.Out);
        Assert.False(File.Exists(P("o.safetensors")) || File.Exists(P("w.safetensors")) || Directory.Exists(P("run")));
    }
}
