using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.IO;
using Xunit;

namespace Nabla.Tests.Cli;

public sealed class ExportCommandTests : IDisposable
{
    /// <summary>The bound for folded against unfolded evaluation outputs.</summary>
    private const double FoldTol = 1e-5;

    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static int Export(params string[] args) => new ExportCommand(new StringWriter()).Run(new Args("export", args));

    private static int Grad(params string[] args) => new GradCommand(new StringWriter()).Run(new Args("grad", args));

    [Fact]
    public void Export_FoldBn_DropsBatchNormEntries_AddsNothingElse_AndGradFoldedMatches()
    {
        GradCommandTests.WriteCase(_dir);
        Assert.Equal(0, Export("--model", P("m.spec"), "--weights", P("w.safetensors"), "--fold-bn", "--out", P("f.safetensors")));
        var original = TensorFiles.Load(P("w.safetensors"));
        var file = SafeTensorsFile.Read(P("f.safetensors"));
        Assert.Equal(["0.bias", "0.weight", "6.bias", "6.weight"], file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal("1", file.Metadata["folded_batchnorm"]);
        Assert.Equal(original["6.weight"].ToArray(), file["6.weight"].Float);

        string[] common = ["--model", P("m.spec"), "--batch", P("b.safetensors")];
        Assert.Equal(0, Grad([.. common, "--weights", P("w.safetensors"), "--out", P("a.safetensors")]));
        Assert.Equal(0, Grad([.. common, "--weights", P("f.safetensors"), "--folded", "--out", P("b2.safetensors")]));
        var a = TensorFiles.Load(P("a.safetensors"))["output"];
        var b = TensorFiles.Load(P("b2.safetensors"))["output"];
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Numel; i++) { diff = Math.Max(diff, Math.Abs(a.Data[i] - b.Data[i])); scale = Math.Max(scale, Math.Abs(a.Data[i])); }
        Assert.InRange(diff / scale, 0, FoldTol);
    }

    [Fact]
    public void Export_FoldedWeights_WithoutFoldedFlag_AreRejectedNamingTheFile()
    {
        GradCommandTests.WriteCase(_dir);
        Assert.Equal(0, Export("--model", P("m.spec"), "--weights", P("w.safetensors"), "--fold-bn", "--out", P("f.safetensors")));
        var e = Assert.ThrowsAny<NablaInputException>(() =>
            Grad("--model", P("m.spec"), "--batch", P("b.safetensors"), "--weights", P("f.safetensors"), "--out", P("x.safetensors")));
        Assert.Contains("f.safetensors", e.Message);
        Assert.Contains("1.running_mean", e.Message);
    }

    [Fact]
    public void Export_Resnet18_FoldsAllTwentyBatchNorms()
    {
        // resnet18 has 20 BatchNorms (17 in the trunk and blocks, 3 in the downsampling shortcuts), each after a conv.
        string w = P("r.safetensors");
        var model = ModelFactory.Build(Nabla.IO.Spec.Zoo.Load("resnet18"), new Nabla.Tensors.Rng(1), new Nabla.Tensors.Rng(1));
        TensorFiles.Save(w, model.StateDict());
        var output = new StringWriter();
        Assert.Equal(0, new ExportCommand(output).Run(new Args("export", ["--model", "resnet18", "--weights", w, "--fold-bn", "--out", P("rf.safetensors")])));
        Assert.StartsWith("folded 20 BatchNorm layer(s)", output.ToString());
        var names = SafeTensorsFile.Read(P("rf.safetensors")).Tensors.Select(t => t.Name).ToList();
        Assert.DoesNotContain(names, n => n.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.Equal(2 * 21, names.Count); // 20 folded convs + the final linear, each weight and bias
    }

    [Fact]
    public void Export_MissingWeights_IsInputError()
    {
        var e = Assert.ThrowsAny<NablaInputException>(() => Export("--model", "lenet5", "--weights", P("none.safetensors"), "--fold-bn", "--out", P("o.safetensors")));
        Assert.Contains("none.safetensors", e.Message);
    }
}
