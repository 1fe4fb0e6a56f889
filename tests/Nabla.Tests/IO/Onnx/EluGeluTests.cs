using Google.Protobuf;
using Nabla.Analysis;
using Nabla.Autograd;
using Nabla.Cli.Commands;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.IO.Onnx.Proto;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Nabla.Tests.Parity;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// ELU and the exact GELU: erf against torch.erf, the ops' gradcheck against the float64 reference, the spec keywords
/// and their summary counts, the export (Elu; GELU as opset 17's Div/Erf/Add/Mul/Mul) in ONNX Runtime and back, and
/// the import of opset 20's Gelu operator. PyTorch agreement of a whole net is the elu_gelu import fixture
/// (OnnxImportFixtureTests), whose GELUs torch wrote as the Erf decomposition, one of them at a residual fork.
/// </summary>
public sealed class EluGeluTests(ITestOutputHelper log)
{
    private const string Spec = """
        input 2 6 6
        conv2d out_channels=3 kernel_size=3
        elu
        conv2d out_channels=3 kernel_size=1
        gelu
        flatten
        linear out_features=4
        elu alpha=0.5
        linear out_features=2
        """;

    [Fact]
    public void Erf_MatchesTorchErf()
    {
        var f = SafeTensorsFile.Read(Path.Combine(OnnxImportFixtureTests.Root, "erf.ref.safetensors"));
        double[] x = f.Tensors.Single(t => t.Name == "x").Double!, want = f.Tensors.Single(t => t.Name == "erf").Double!;
        Assert.Equal(3201, x.Length);
        double worst = x.Select((v, i) => Math.Abs(Nabla.Kernels.Erf.Of(v) - want[i])).Max();
        Assert.True(worst < 1e-13, $"worst |erf - torch.erf| {worst:G3}");
        Assert.True(double.IsNaN(Nabla.Kernels.Erf.Of(double.NaN)));
        Assert.Equal(1.0, Nabla.Kernels.Erf.Of(double.PositiveInfinity));
        Assert.Equal(-1.0, Nabla.Kernels.Erf.Of(double.NegativeInfinity));
    }

    [Theory]
    [InlineData("elu")]
    [InlineData("gelu")]
    public void Activation_GradCheck_PassesAgainstFloat64(string kind)
    {
        // Inputs spread over [-6, 6]: ELU's saturation and GELU's dip below zero are both sampled.
        var x = Tensor.Randn(new Rng(5), 3, 2, 5, 5);
        for (int i = 0; i < x.Numel; i++) x.Data[i] *= 3f;
        var model = new Sequential();
        model.Add(new Conv2d(2, 3, (3, 3), rng: new Rng(2)));
        model.Add(kind == "elu" ? new ELU(0.7f) : new GELU());
        Nabla.Tests.Autograd.GradCheckAssert.Passes(GradCheck.Check(model, x));
    }

    [Fact]
    public void SpecKeywords_BuildAndCountAsActivations()
    {
        var spec = SpecParser.Parse(Spec, "act.spec");
        Assert.Equal(LayerKind.Elu, spec.Layers[1].Kind);
        Assert.Equal(LayerKind.Gelu, spec.Layers[3].Kind);
        Assert.Equal(0.5, ((EluSpec)spec.Layers[6]).Alpha);
        var summary = ModelAnalyzer.Analyze(spec);
        Assert.Equal(3 * 4 * 4, summary["1"].Counts.Activations);
        Assert.Equal(3 * 4 * 4, summary["3"].Counts.Activations);
        Assert.Equal(0, summary["3"].Counts.Mults);
        var model = ModelFactory.Build(spec, new Rng(0), new Rng(0));
        Assert.IsType<ELU>(model.Layers[1]);
        Assert.IsType<GELU>(model.Layers[3]);
        Assert.Equal(0.5f, ((ELU)model.Layers[6]).Alpha);
        Assert.Contains("elu alpha=0.5", SpecWriter.Write(spec));
    }

    [Fact]
    public void Export_RunsInOnnxRuntime_AndImportsBackAsTheSameLayers()
    {
        var spec = SpecParser.Parse(Spec, "act.spec");
        var model = OnnxExportKit.Build(spec, 4);
        OnnxExportKit.AssertMatches(model, spec, "elu_gelu", 1, 3);
        var proto = OnnxExporter.ToModel(model, spec.Input);
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Erf");
        var back = OnnxImporter.Import(proto.ToByteArray(), "act.onnx");
        Assert.Equal(spec.Layers.Select(l => l.Kind), back.Spec.Layers.Select(l => l.Kind));
        Assert.Equal(0.5, ((EluSpec)back.Spec.Layers[6]).Alpha, 6);
    }

    [Fact]
    public void Opset20Gelu_ImportsAndMatchesPyTorch()
    {
        // The opset 17 fixture with each Div/Erf/Add/Mul/Mul replaced by opset 20's Gelu operator (as a newer exporter
        // writes it): the same PyTorch float64 reference must hold.
        string file = Path.Combine(OnnxImportFixtureTests.Root, "elu_gelu_opset17_fold1.onnx");
        var m = ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
        var nodes = m.Graph.Node;
        int replaced = 0;
        foreach (var erf in nodes.Where(n => n.OpType == "Erf").ToList())
        {
            var div = nodes.Single(n => n.Output.Contains(erf.Input[0]));
            var add = nodes.Single(n => n.Input.Contains(erf.Output[0]));
            var mul = nodes.Single(n => n.Input.Contains(add.Output[0]));
            var half = nodes.Single(n => n.Input.Contains(mul.Output[0]));
            int at = nodes.IndexOf(div);
            foreach (var r in new[] { div, erf, add, mul, half }) nodes.Remove(r);
            nodes.Insert(at, new NodeProto { Name = $"/gelu{replaced++}", OpType = "Gelu", Input = { div.Input[0] }, Output = { half.Output[0] } });
        }
        Assert.Equal(3, replaced);
        m.OpsetImport.Single(o => o.Domain is "" or "ai.onnx").Version = 20;
        var model = OnnxImporter.Import(m.ToByteArray(), "gelu20.onnx");
        Assert.Equal(20, model.Opset);
        var expected = SafeTensorsFile.Read(Path.Combine(OnnxImportFixtureTests.Root, "elu_gelu.ref.safetensors"));
        var got = GradCommand.Compute(model.Spec, model.Spec.InitialWeights!, "gelu20.onnx", expected, train: false);
        var metric = new ParityMetric();
        var byName = got.ToDictionary(g => g.Name, g => g.Tensor, StringComparer.Ordinal);
        foreach (var e in expected.Tensors.Where(t => t.Name is not ("input" or "target")))
            metric.Check(e.Name, byName[e.Name].Data.Select(v => (double)v).ToArray(), byName[e.Name].Shape.ToArray(), e.Float!.Select(v => (double)v).ToArray(), e.Shape);
        metric.AssertAll(log, "gelu20");

        nodes.First(n => n.OpType == "Gelu").Attribute.Add(new AttributeProto { Name = "approximate", S = ByteString.CopyFromUtf8("tanh"), Type = 3 });
        var e2 = Assert.Throws<NablaInputException>(() => OnnxImporter.Import(m.ToByteArray(), "gelu20.onnx"));
        Assert.Equal("gelu20.onnx: node '/gelu0' (op Gelu, opset 20): Gelu with approximate 'tanh' (Nabla has the exact, erf GELU) is not supported", e2.Message);
    }
}
