using Google.Protobuf;
using Nabla.Analysis;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// ReLU6 (MobileNet's activation, ONNX's Clip(0, 6)): the op's values and gradient, its gradcheck against the
/// float64 reference, the <c>relu6</c> spec keyword and its summary counts, and the export as Clip(0, 6) that ONNX
/// Runtime runs and the importer reads back. PyTorch agreement is the relu6 import fixture (OnnxImportFixtureTests).
/// </summary>
public sealed class Relu6Tests
{
    private const string Spec = """
        input 2 6 6
        conv2d out_channels=3 kernel_size=3
        relu6
        flatten
        linear out_features=2
        """;

    [Fact]
    public void Relu6_ClampsToZeroSix_GradientPassesInside()
    {
        var x = new Tensor([-2f, 0f, 0.5f, 5.5f, 6f, 7f], [6]) { RequiresGrad = true };
        var y = F.Relu6(x);
        Assert.Equal([0f, 0f, 0.5f, 5.5f, 6f, 6f], y.ToArray());
        F.Sum(F.Mul(y, new Tensor([1f, 2f, 3f, 4f, 5f, 6f], [6]))).Backward();
        // As PyTorch's hardtanh_backward: 0 at and beyond both kinks.
        Assert.Equal([0f, 0f, 3f, 4f, 0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void Relu6_GradCheck_PassesAgainstFloat64()
    {
        // Inputs spread over [-10, 10]: both clamps and the linear part are sampled.
        var x = Tensor.Randn(new Rng(6), 4, 3, 5, 5);
        for (int i = 0; i < x.Numel; i++) x.Data[i] *= 5f;
        Assert.Contains(x.Data, v => v > 6f);
        Assert.Contains(x.Data, v => v is > 0f and < 6f);
        var model = new Sequential();
        model.Add(new Conv2d(3, 4, (3, 3), rng: new Rng(2)));
        model.Add(new ReLU6());
        Nabla.Tests.Autograd.GradCheckAssert.Passes(GradCheck.Check(model, x));
    }

    [Fact]
    public void SpecKeyword_Relu6_BuildsAndCountsAsAnActivation()
    {
        var spec = SpecParser.Parse(Spec, "relu6.spec");
        Assert.Equal(LayerKind.ReLU6, spec.Layers[1].Kind);
        var summary = ModelAnalyzer.Analyze(spec);
        var row = summary["1"];
        Assert.Equal(3 * 4 * 4, row.Counts.Activations);
        Assert.Equal(0, row.Counts.Mults);
        Assert.Contains("\"type\": \"relu6\"", SummaryFormats.ToJson(summary).Replace("\":\"", "\": \""));
        Assert.IsType<ReLU6>(ModelFactory.Build(spec, new Rng(0), new Rng(0)).Layers[1]);
    }

    [Fact]
    public void Export_WritesClipZeroSix_RunsInOnnxRuntime_AndImportsBack()
    {
        var spec = SpecParser.Parse(Spec, "relu6.spec");
        var model = OnnxExportKit.Build(spec, 4);
        var conv = (Conv2d)model.Layers[0];
        for (int i = 0; i < conv.Weight.Numel; i++) conv.Weight.Data[i] *= 30f;
        var x = OnnxExportKit.Input(spec.Input, 3, 21);
        var pre = OnnxExportKit.Forward(conv, x).ToArray();
        Assert.Contains(pre, v => v > 6f);
        OnnxExportKit.AssertMatches(model, spec, "relu6", 1, 3);

        var proto = OnnxExporter.ToModel(model, spec.Input);
        var clip = Assert.Single(proto.Graph.Node, n => n.OpType == "Clip");
        float Scalar(string name) => OnnxTensors.Floats(proto.Graph.Initializer.Single(t => t.Name == name), "test", null).Single();
        Assert.Equal(0f, Scalar(clip.Input[1]));
        Assert.Equal(6f, Scalar(clip.Input[2]));
        var back = OnnxImporter.Import(proto.ToByteArray(), "relu6.onnx");
        Assert.Equal(LayerKind.ReLU6, back.Spec.Layers[1].Kind);
    }
}
