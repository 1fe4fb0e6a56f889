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
/// Blocks whose paths are the identity in evaluation mode — a residual whose body is a dropout (written Add(x, x)),
/// a concat branch that is a dropout (Concat(x, f(x))) — and a Concat that repeats one operand (identical branches an
/// exporter computed once): the importer maps them, and the imported model computes what the original did. The random
/// architectures of tools/make_onnx_fixtures.py draw such blocks (docs/onnx.md).
/// </summary>
public sealed class OnnxIdentityBlockTests
{
    private const string Spec = """
        input 2 5 5
        conv2d out_channels=3 kernel_size=3 padding=1
        residual
          dropout p=0.3
        end
        concat
          branch
            dropout p=0.2
          branch
            conv2d out_channels=2 kernel_size=1
            relu
          branch
            relu
        end
        flatten
        linear out_features=3
        """;

    private static (Sequential Model, ModelSpec Spec, ModelProto Proto) Exported()
    {
        var spec = SpecParser.Parse(Spec, "identity.spec");
        var model = OnnxExportKit.Build(spec, 9);
        return (model, spec, OnnxExporter.ToModel(model, spec.Input));
    }

    private static void AssertSameForward(Sequential original, ModelSpec spec, ModelProto proto)
    {
        var imported = OnnxImporter.Import(proto.ToByteArray(), "identity.onnx");
        var model = ModelFactory.Build(imported.Spec, new Rng(1), new Rng(2));
        model.Eval();
        var x = OnnxExportKit.Input(spec.Input, 3, 5);
        double err = OnnxExportKit.RelErr(OnnxExportKit.Forward(model, x).ToArray(), OnnxExportKit.Forward(original, x).ToArray());
        Assert.True(err <= 1e-6, $"imported vs original forward: relative error {err:E2}");
        Assert.Equal(ModelAnalyzer.Analyze(spec).Total.Params, ModelAnalyzer.Analyze(imported.Spec).Total.Params);
    }

    [Fact]
    public void IdentityResidualAndConcatBranch_ImportAndComputeTheSame()
    {
        var (model, spec, proto) = Exported();
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Add" && n.Input[0] == n.Input[1]);
        var imported = OnnxImporter.Import(proto.ToByteArray(), "identity.onnx").Spec;
        var residual = Assert.IsType<ResidualSpec>(imported.Layers[1]);
        Assert.Empty(residual.Body);
        Assert.Null(residual.Shortcut);
        var concat = Assert.IsType<ConcatSpec>(imported.Layers[2]);
        Assert.Equal([0, 2, 1], concat.Branches.Select(b => b.Count));
        AssertSameForward(model, spec, proto);
    }

    [Fact]
    public void ConcatRepeatingAWeightlessBranch_ImportsAsTwoBranches()
    {
        // As an exporter's common-subexpression pass writes two identical relu branches: one Relu, used twice.
        var (model, spec, proto) = Exported();
        var concat = proto.Graph.Node.Single(n => n.OpType == "Concat");
        var relus = proto.Graph.Node.Where(n => n.OpType == "Relu" && n.Input[0] == proto.Graph.Node.Single(a => a.OpType == "Add").Output[0]).ToList();
        var lone = Assert.Single(relus);
        concat.Input.Add(lone.Output[0]);
        var imported = OnnxImporter.Import(proto.ToByteArray(), "identity.onnx").Spec;
        Assert.Equal([0, 2, 1, 1], ((ConcatSpec)imported.Layers[2]).Branches.Select(b => b.Count));
        // A repeated branch with weights would untie them: refused by name.
        var conv = proto.Graph.Node.Single(n => n.OpType == "Conv" && n.Input[0] == lone.Input[0]);
        var convRelu = proto.Graph.Node.Single(n => n.OpType == "Relu" && n.Input[0] == conv.Output[0]);
        concat.Input.Add(convRelu.Output[0]);
        var e = Assert.Throws<NablaInputException>(() => OnnxImporter.Import(proto.ToByteArray(), "identity.onnx"));
        Assert.Equal($"identity.onnx: node '{concat.Name}' (op Concat, opset 17): a Concat that repeats '{convRelu.Output[0]}', computed with weights (Nabla's branches have their own weights) is not supported", e.Message);
    }

    [Fact]
    public void ConcatBranchesSharingAWeightlessPrefix_ImportWithThePrefixInEach()
    {
        // As torch's exporter writes concat branches [sigmoid, logsoftmax] and [sigmoid, tanh]: one Sigmoid feeding
        // both, a fork nested inside the concat's fork.
        var spec = SpecParser.Parse("""
            input 2 4 4
            conv2d out_channels=3 kernel_size=1
            concat
              branch
                sigmoid
                logsoftmax
              branch
                conv2d out_channels=2 kernel_size=1
              branch
                sigmoid
                tanh
            end
            flatten
            linear out_features=3
            """, "shared.spec");
        var model = OnnxExportKit.Build(spec, 4);
        var proto = OnnxExporter.ToModel(model, spec.Input);
        var sigmoids = proto.Graph.Node.Where(n => n.OpType == "Sigmoid").ToList();
        Assert.Equal(2, sigmoids.Count);
        proto.Graph.Node.Single(n => n.OpType == "Tanh").Input[0] = sigmoids[0].Output[0];
        proto.Graph.Node.Remove(sigmoids[1]);
        var imported = OnnxImporter.Import(proto.ToByteArray(), "shared.onnx").Spec;
        var concat = Assert.IsType<ConcatSpec>(imported.Layers[1]);
        Assert.Equal([[LayerKind.Sigmoid, LayerKind.LogSoftmax], [LayerKind.Conv2d], [LayerKind.Sigmoid, LayerKind.Tanh]],
            concat.Branches.Select(b => b.Select(l => l.Kind).ToArray()));
        AssertSameForward(model, spec, proto);
    }
}
