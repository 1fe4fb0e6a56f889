using Nabla.Analysis;
using Nabla.IO.Spec;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.IO.Onnx;

/// <summary>Exported models run in ONNX Runtime 1.32 and give Nabla's evaluation-mode output within 1e-4, at batch 1
/// and 3 (the dynamic batch axis), with and without BatchNorm folding: the zoo, tools/random_archs.py's fixture
/// architectures, and seeded random specs drawn below.</summary>
public sealed class OnnxExportRuntimeTests(ITestOutputHelper log)
{
    private static readonly int[] Batches = [1, 3];

    public static TheoryData<string> ZooModels()
    {
        var data = new TheoryData<string>();
        // alexnet and vgg16 (224x224, 61M and 138M parameters) run in tools/check_onnx_export.py instead: seconds each.
        foreach (var n in Zoo.Names.Where(n => n is not "alexnet" and not "vgg16")) data.Add(n);
        return data;
    }

    [Theory]
    [MemberData(nameof(ZooModels))]
    public void Export_ZooModel_RunsInOnnxRuntime_MatchesNabla(string name)
    {
        var spec = Zoo.Load(name);
        var model = OnnxExportKit.Build(spec, 11);
        double plain = OnnxExportKit.AssertMatches(model, spec, name, Batches);
        double folded = OnnxExportKit.AssertMatches(OnnxExportKit.Fold(model), spec, name + " --fold-bn", Batches);
        log.WriteLine($"{name}: worst relative error {plain:E2}, folded {folded:E2}");
    }

    [Fact]
    public void Export_ZooModel_AlexnetLayers_AtSmallInput_MatchNabla()
    {
        // The ImageNet alexnet's layers at 3x64x64: its adaptiveavgpool2d then upsamples 1x1 to 6x6 (the MatMul path).
        var spec = Zoo.Load("alexnet").WithInput([3, 64, 64]);
        OnnxExportKit.AssertMatches(OnnxExportKit.Build(spec, 5), spec, "alexnet@64", 1, 2);
    }

    public static TheoryData<string> FixtureArchs()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "Fixtures", "random_archs")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureArchs))]
    public void Export_RandomArchFixture_MatchesNabla(string arch)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "random_archs", arch);
        var spec = SpecParser.ParseFile(Path.Combine(dir, "model.spec"));
        var model = OnnxExportKit.Build(spec, 3);
        Nabla.IO.TensorFiles.LoadInto(model, Nabla.IO.TensorFiles.Load(Path.Combine(dir, "weights.safetensors")), arch);
        model.Eval();
        OnnxExportKit.AssertMatches(model, spec, arch, Batches);
        OnnxExportKit.AssertMatches(OnnxExportKit.Fold(model), spec, arch + " --fold-bn", Batches);
    }

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int s = 0; s < 40; s++) data.Add(s);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Export_RandomSpec_MatchesNabla(int seed)
    {
        var spec = RandomSpecs.Draw(seed);
        var model = OnnxExportKit.Build(spec, (ulong)seed + 100);
        try
        {
            OnnxExportKit.AssertMatches(model, spec, $"seed {seed}", Batches);
            OnnxExportKit.AssertMatches(OnnxExportKit.Fold(model), spec, $"seed {seed} --fold-bn", Batches);
        }
        catch
        {
            log.WriteLine(spec.ToString());
            throw;
        }
    }

    [Fact]
    public void RandomSpecs_CoverEveryLayerKind()
    {
        var kinds = Enumerable.Range(0, 40).SelectMany(s => RandomSpecs.Draw(s).AllLayers()).Select(l => l.Kind).ToHashSet();
        foreach (var k in new[] { LayerKind.Conv2d, LayerKind.Linear, LayerKind.BatchNorm2d, LayerKind.BatchNorm1d, LayerKind.MaxPool2d,
                     LayerKind.AvgPool2d, LayerKind.AdaptiveAvgPool2d, LayerKind.Dropout, LayerKind.Flatten, LayerKind.ReLU, LayerKind.LeakyReLU,
                     LayerKind.Sigmoid, LayerKind.Tanh, LayerKind.Softmax, LayerKind.LogSoftmax, LayerKind.Concat, LayerKind.Residual })
            Assert.Contains(k, kinds);
        Assert.Contains(Enumerable.Range(0, 40).Select(RandomSpecs.Draw), s => BatchNormFolding.FoldedNames(OnnxExportKit.Build(s, 1)).Count > 0);
    }
}
