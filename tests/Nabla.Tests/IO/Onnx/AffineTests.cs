using Google.Protobuf;
using Nabla.Analysis;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// The constant affine layer (spec <c>affine scale= shift=</c>), which ONNX's Add/Sub/Mul/Div by a constant import
/// into: spec reading and writing, summary counts, the bad-length error, gradcheck against the float64 reference, and
/// the export as Mul/Add that ONNX Runtime runs and the importer reads back. PyTorch agreement of a forward that
/// normalises its input ((x − mean) / std per channel, scalar and per-feature constants) is the arith import fixture.
/// </summary>
public sealed class AffineTests
{
    private const string Spec = """
        input 3 5 5
        affine scale=2,0.5,-1 shift=0.25
        conv2d out_channels=2 kernel_size=3
        affine shift=1
        flatten
        linear out_features=4
        affine scale=0.5,1,2,-3 shift=1,2,3,4
        linear out_features=2
        """;

    [Fact]
    public void SpecKeyword_ReadsWritesAndCounts()
    {
        var spec = SpecParser.Parse(Spec, "affine.spec");
        var a = Assert.IsType<AffineSpec>(spec.Layers[0]);
        Assert.Equal([2.0, 0.5, -1.0], a.Scale);
        Assert.Equal([0.25], a.Shift);
        Assert.Equal(spec.Layers, SpecParser.Parse(SpecWriter.Write(spec), "again.spec").Layers);
        var summary = ModelAnalyzer.Analyze(spec);
        Assert.Equal((0L, 75L, 75L, 0L), (summary["0"].Counts.Params, summary["0"].Counts.Mults, summary["0"].Counts.Adds, summary["0"].Counts.Activations));
        Assert.Equal((0L, 0L, 18L), (summary["2"].Counts.Params, summary["2"].Counts.Mults, summary["2"].Counts.Adds));
        var e = Assert.Throws<NablaInputException>(() => ModelAnalyzer.Analyze(SpecParser.Parse("input 3 5 5\naffine scale=1,2\n", "bad.spec")));
        Assert.Contains("expected scale and shift of 1 or 3 values", e.Message);
        var e2 = Assert.Throws<NablaInputException>(() => SpecParser.Parse("input 3 5 5\naffine scale=1,x\n", "bad.spec"));
        Assert.StartsWith("bad.spec:2:", e2.Message);
    }

    [Fact]
    public void GradCheck_PassesAgainstFloat64()
    {
        var spec = SpecParser.Parse(Spec, "affine.spec");
        var model = ModelFactory.Build(spec, new Rng(3), new Rng(4));
        Nabla.Tests.Autograd.GradCheckAssert.Passes(GradCheck.Check(model, Tensor.Randn(new Rng(8), 2, 3, 5, 5)));
    }

    [Fact]
    public void Export_RunsInOnnxRuntime_AndImportsBack()
    {
        var spec = SpecParser.Parse(Spec, "affine.spec");
        var model = OnnxExportKit.Build(spec, 6);
        OnnxExportKit.AssertMatches(model, spec, "affine", 1, 3);
        var proto = OnnxExporter.ToModel(model, spec.Input);
        var back = OnnxImporter.Import(proto.ToByteArray(), "affine.onnx").Spec;
        Assert.Equal(spec.Layers.Select(l => l.Kind), back.Layers.Select(l => l.Kind));
        var a = (AffineSpec)back.Layers[5];
        Assert.Equal([0.5, 1, 2, -3], a.Scale);
        Assert.Equal([1.0, 2, 3, 4], a.Shift);
    }
}
