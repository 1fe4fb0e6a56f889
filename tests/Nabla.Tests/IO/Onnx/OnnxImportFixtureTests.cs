using Nabla.Cli.Commands;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.Tests.Parity;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// Every model tools/make_onnx_fixtures.py exported with torch.onnx.export (opsets 11, 13, 17; constant folding on and
/// off), imported and run through `nabla grad`'s computation with the file's own weights: output, loss, grad.input and
/// grad.&lt;state_dict name&gt; of every parameter against PyTorch float64 (1e-4 relative).
/// </summary>
public sealed class OnnxImportFixtureTests(ITestOutputHelper log)
{
    internal static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Root, "*.onnx").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void Fixtures_CoverEveryOpsetAndFolding()
    {
        var names = Directory.GetFiles(Root, "*.onnx").Select(Path.GetFileName).ToList();
        foreach (var model in new[] { "lenet", "mlp", "mlp_flat", "residual", "inception", "batchnorm", "pooling", "reshape", "softmax", "conv_attrs", "dropout", "relu6", "dedup", "elu_gelu", "arith", "asym_pad" })
            foreach (int opset in new[] { 11, 13, 17 })
                foreach (int fold in new[] { 0, 1 })
                    Assert.Contains($"{model}_opset{opset}_fold{fold}.onnx", names);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Import_Grad_MatchesPyTorch(string file)
    {
        string path = Path.Combine(Root, file);
        string refName = file[..file.IndexOf("_opset", StringComparison.Ordinal)] + ".ref.safetensors";
        var expected = SafeTensorsFile.Read(Path.Combine(Root, refName));
        var model = OnnxImporter.Load(path);
        var got = GradCommand.Compute(model.Spec, model.Spec.InitialWeights!, path, expected, train: false);
        var metric = new ParityMetric();
        var byName = got.ToDictionary(g => g.Name, g => g.Tensor, StringComparer.Ordinal);
        foreach (var e in expected.Tensors.Where(t => t.Name is not ("input" or "target")))
        {
            Assert.True(byName.TryGetValue(e.Name, out var g), $"{file}: no {e.Name} among [{string.Join(", ", byName.Keys)}]");
            metric.Check(e.Name, g!.Data.Select(v => (double)v).ToArray(), g.Shape.ToArray(), e.Float!.Select(v => (double)v).ToArray(), e.Shape);
        }
        if (!file.Contains("_fused", StringComparison.Ordinal))
            Assert.Equal(expected.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)), got.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)));
        metric.AssertAll(log, file);
    }
}
