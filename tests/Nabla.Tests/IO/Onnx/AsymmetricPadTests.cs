using Google.Protobuf;
using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.IO.Onnx.Proto;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// Asymmetric padding: ONNX Conv/MaxPool/AveragePool pads that differ at the two ends of an axis, and auto_pad
/// SAME_UPPER/SAME_LOWER with an even kernel, import as a <c>pad</c> layer in front of the layer. ONNX Runtime runs
/// each hand-written file as the reference. The spec keyword and summary counts are checked here too. PyTorch's
/// own asymmetric pads (ZeroPad2d, ConstantPad2d) are the asym_pad import fixture.
/// </summary>
public sealed class AsymmetricPadTests
{
    private const string Base = """
        input 2 10 11
        conv2d out_channels=3 kernel_size=4
        relu
        maxpool2d kernel_size=3 stride=2
        avgpool2d kernel_size=2 stride=1
        adaptiveavgpool2d output_size=1
        flatten
        linear out_features=3
        """;

    private static void SetPads(NodeProto n, params long[] pads)
    {
        var a = n.Attribute.FirstOrDefault(x => x.Name == "pads");
        if (a is null) { a = new AttributeProto { Name = "pads", Type = 7 }; n.Attribute.Add(a); }
        a.Ints.Clear();
        a.Ints.AddRange(pads);
    }

    /// <summary>Exports <see cref="Base"/>, lets <paramref name="edit"/> change its nodes, then checks that the import
    /// (with <paramref name="pads"/> pad layers) computes what ONNX Runtime computes on the edited file.</summary>
    private static ModelSpec Check(Action<ModelProto> edit, int pads)
    {
        var spec = SpecParser.Parse(Base, "base.spec");
        var proto = OnnxExporter.ToModel(OnnxExportKit.Build(spec, 3), spec.Input);
        edit(proto);
        byte[] bytes = proto.ToByteArray();
        var imported = OnnxImporter.Import(bytes, "asym.onnx").Spec;
        Assert.Equal(pads, imported.Layers.Count(l => l is Pad2dSpec));
        var model = ModelFactory.Build(imported, new Rng(1), new Rng(2));
        model.Eval();
        var x = OnnxExportKit.Input(spec.Input, 2, 17);
        var (ort, shape) = OnnxExportKit.RunOrt(bytes, x);
        var mine = OnnxExportKit.Forward(model, x);
        Assert.Equal(shape, mine.Shape.Select(d => (long)d).ToArray());
        double err = OnnxExportKit.RelErr(ort, mine.ToArray());
        Assert.True(err <= 1e-5, $"ONNX Runtime vs Nabla: {err:E2}");
        return imported;
    }

    [Fact]
    public void ConvWithAsymmetricPads_IsAPadThenTheConv()
    {
        var spec = Check(m => SetPads(m.Graph.Node.Single(n => n.OpType == "Conv"), 2, 1, 1, 0), 1);
        var pad = (Pad2dSpec)spec.Layers[0];
        Assert.Equal((1, 1, 0, 0, 0.0), (pad.Top, pad.Left, pad.Bottom, pad.Right, pad.Value));
        Assert.Equal(new Size2(1, 0), ((Conv2dSpec)spec.Layers[1]).Padding);
    }

    [Theory]
    [InlineData("SAME_UPPER")]
    [InlineData("SAME_LOWER")]
    public void ConvSameWithAnEvenKernel_PadsTheOddRowAtTheRightEnd(string mode)
    {
        Check(m =>
        {
            var conv = m.Graph.Node.Single(n => n.OpType == "Conv");
            conv.Attribute.Remove(conv.Attribute.Single(a => a.Name == "pads"));
            conv.Attribute.Add(new AttributeProto { Name = "auto_pad", Type = 3, S = ByteString.CopyFromUtf8(mode) });
        }, 1);
    }

    [Fact]
    public void MaxPoolAndAvgPoolWithAsymmetricPads()
    {
        Check(m =>
        {
            SetPads(m.Graph.Node.Single(n => n.OpType == "MaxPool"), 0, 1, 1, 0);
            var avg = m.Graph.Node.Single(n => n.OpType == "AveragePool");
            SetPads(avg, 1, 0, 0, 1);
            avg.Attribute.Single(a => a.Name == "count_include_pad").I = 1;
        }, 2);
        // Without count_include_pad the divisor would need the pad's extent: refused by name.
        var e = Assert.Throws<NablaInputException>(() => Check(m => SetPads(m.Graph.Node.Single(n => n.OpType == "AveragePool"), 1, 0, 0, 1), 1));
        Assert.Contains("AveragePool with asymmetric pads", e.Message);
    }

    [Fact]
    public void SpecKeyword_Pad_ShapesCountsAndReceptiveField()
    {
        var spec = SpecParser.Parse("input 1 4 5\npad padding=1,2,0,3 value=-inf\nmaxpool2d kernel_size=2\n", "pad.spec");
        var p = (Pad2dSpec)spec.Layers[0];
        Assert.Equal((1, 2, 0, 3, double.NegativeInfinity), (p.Left, p.Right, p.Top, p.Bottom, p.Value));
        Assert.Equal(spec.Layers, SpecParser.Parse(SpecWriter.Write(spec), "again.spec").Layers);
        var summary = ModelAnalyzer.Analyze(spec);
        Assert.Equal([1, 7, 8], summary["0"].OutputShape);
        Assert.Equal(0, summary["0"].Counts.Params + summary["0"].Counts.Mults + summary["0"].Counts.Adds);
        var e = Assert.Throws<NablaInputException>(() => SpecParser.Parse("input 1 4 5\npad padding=1,2\n", "bad.spec"));
        Assert.StartsWith("bad.spec:2:", e.Message);
    }
}
