using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Cli;

public sealed class GradCommandTests : IDisposable
{
    /// <summary>Two computations of the same float32 quantity in different orders.</summary>
    private const double Tol = 1e-5;

    internal const string Spec = """
        input 2 6 5
        conv2d out_channels=4 kernel_size=3 padding=1
        batchnorm2d
        relu
        maxpool2d kernel_size=2 ceil_mode=true
        dropout p=0.3
        flatten
        linear out_features=3
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-grad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal string P(string name) => Path.Combine(_dir, name);

    /// <summary>Writes the spec, random weights (BN statistics randomised) and a batch of 4; returns the model.</summary>
    internal static Sequential WriteCase(string dir, ulong seed = 1)
    {
        File.WriteAllText(Path.Combine(dir, "m.spec"), Spec);
        var model = ModelFactory.Build(SpecParser.Parse(Spec), new Rng(seed), new Rng(seed));
        Analysis.BatchNormFoldingTests.RandomizeBatchNorms(model, new Rng(seed + 1));
        TensorFiles.Save(Path.Combine(dir, "w.safetensors"), model.StateDict());
        var x = Tensor.Randn(new Rng(seed + 2), 4, 2, 6, 5);
        SafeTensorsFile.Write(Path.Combine(dir, "b.safetensors"),
            [SafeTensor.FromFloat("input", x.Shape, x.ToArray()), SafeTensor.FromInt64("target", [4], [0, 2, 1, 2])]);
        return model;
    }

    private int Run(params string[] args) => new GradCommand(new StringWriter()).Run(new Args("grad", args));

    private string[] Std(string outName = "o.safetensors", string batch = "b.safetensors", string weights = "w.safetensors") =>
        ["--model", P("m.spec"), "--weights", P(weights), "--batch", P(batch), "--out", P(outName)];

    [Fact]
    public void Grad_Eval_WritesContractTensors_ConsistentWithModel()
    {
        var model = WriteCase(_dir);
        Assert.Equal(0, Run(Std()));
        var o = TensorFiles.Load(P("o.safetensors"));
        var expectedNames = new[] { "output", "loss", "grad.input" }.Concat(model.NamedParameters().Select(p => "grad." + p.Name));
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal), o.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(o["loss"].Shape);
        Assert.Equal([4, 2, 6, 5], o["grad.input"].Shape);
        foreach (var (name, p) in model.NamedParameters()) Assert.Equal(p.Shape, o["grad." + name].Shape);

        // The output is the evaluation-mode forward of the same weights; the loss is its cross-entropy mean,
        // recomputed here in float64 from the logits.
        model.Eval();
        var x = TensorFiles.Load(P("b.safetensors"))["input"];
        var y = model.Forward(x);
        Assert.Equal(y.ToArray(), o["output"].ToArray());
        int[] t = [0, 2, 1, 2];
        double loss = 0;
        for (int n = 0; n < 4; n++)
        {
            double m = Enumerable.Range(0, 3).Max(j => (double)y[n, j]);
            double lse = m + Math.Log(Enumerable.Range(0, 3).Sum(j => Math.Exp(y[n, j] - m)));
            loss += (lse - y[n, t[n]]) / 4;
        }
        Assert.InRange(Math.Abs(o["loss"].Item() - loss) / loss, 0, Tol);
    }

    [Fact]
    public void Grad_Eval_InputGradient_MatchesFiniteDifferenceOfLoss()
    {
        WriteCase(_dir);
        Assert.Equal(0, Run(Std()));
        var g = TensorFiles.Load(P("o.safetensors"))["grad.input"];
        var batch = TensorFiles.Load(P("b.safetensors"));
        // Directional derivative along a random direction d: (L(x + h d) − L(x − h d)) / 2h ≈ ⟨g, d⟩.
        var d = Tensor.Randn(new Rng(5), batch["input"].Shape);
        const float h = 1e-3f;
        double Loss(float sign)
        {
            var x = batch["input"].Clone();
            for (int i = 0; i < x.Numel; i++) x.Data[i] += sign * h * d.Data[i];
            SafeTensorsFile.Write(P("b2.safetensors"), [SafeTensor.FromFloat("input", x.Shape, x.ToArray()), SafeTensor.FromInt64("target", [4], [0, 2, 1, 2])]);
            Assert.Equal(0, Run(Std("o2.safetensors", "b2.safetensors")));
            return TensorFiles.Load(P("o2.safetensors"))["loss"].Item();
        }
        double numeric = (Loss(1) - Loss(-1)) / (2 * h);
        double analytic = 0;
        for (int i = 0; i < g.Numel; i++) analytic += (double)g.Data[i] * d.Data[i];
        Assert.InRange(Math.Abs(numeric - analytic) / Math.Max(Math.Abs(analytic), 1e-3), 0, 2e-2);
    }

    [Fact]
    public void Grad_Train_UsesBatchStatistics()
    {
        var model = WriteCase(_dir);
        Assert.Equal(0, Run([.. Std(), "--train"]));
        Assert.Equal(0, Run(Std("eval.safetensors")));
        var train = TensorFiles.Load(P("o.safetensors"));
        Assert.NotEqual(TensorFiles.Load(P("eval.safetensors"))["output"].ToArray(), train["output"].ToArray());
        // Same seed: the same dropout masks, so the result is reproducible.
        Assert.Equal(0, Run([.. Std("again.safetensors"), "--train"]));
        Assert.Equal(train["grad.1.weight"].ToArray(), TensorFiles.Load(P("again.safetensors"))["grad.1.weight"].ToArray());
    }

    private NablaInputException Fails(params string[] args)
    {
        var e = Assert.ThrowsAny<NablaInputException>(() => Run(args));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Grad_MissingUnexpectedMisShapedWeights_NameFileAndTensor()
    {
        WriteCase(_dir);
        var w = TensorFiles.Load(P("w.safetensors"));
        var missing = w.Where(kv => kv.Key != "1.running_var").ToList();
        TensorFiles.Save(P("missing.safetensors"), missing.Select(kv => (kv.Key, kv.Value)));
        var e = Fails(Std(weights: "missing.safetensors"));
        Assert.Contains("missing.safetensors", e.Message);
        Assert.Contains("1.running_var", e.Message);

        TensorFiles.Save(P("extra.safetensors"), w.Select(kv => (kv.Key, kv.Value)).Append(("9.weight", Tensor.Zeros(2))));
        e = Fails(Std(weights: "extra.safetensors"));
        Assert.Contains("extra.safetensors", e.Message);
        Assert.Contains("unexpected key(s): 9.weight", e.Message);

        TensorFiles.Save(P("shape.safetensors"), w.Select(kv => (kv.Key, kv.Key == "6.weight" ? Tensor.Zeros(3, 13) : kv.Value)));
        e = Fails(Std(weights: "shape.safetensors"));
        Assert.Contains("shape.safetensors", e.Message);
        Assert.Contains("6.weight", e.Message);
    }

    public static TheoryData<string, string> BadBatches() => new()
    {
        { "shape", "'input' has shape [4, 2, 5, 6]" },
        { "dtype", "'input' is I64" },
        { "notarget", "no tensor named 'target'" },
        { "targetf32", "'target' is F32" },
        { "targetlen", "'target' has shape [3], expected [4]" },
        { "range", "'target'[1] is 3, expected a class index in [0, 2]" },
        { "negative", "'target'[0] is -1" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public void Grad_BadBatch_NamesFileAndTensor(string kind, string expected)
    {
        WriteCase(_dir);
        var x = new float[4 * 2 * 6 * 5];
        var good = SafeTensor.FromFloat("input", [4, 2, 6, 5], x);
        var target = SafeTensor.FromInt64("target", [4], [0, 1, 2, 0]);
        SafeTensor[] tensors = kind switch
        {
            "shape" => [SafeTensor.FromFloat("input", [4, 2, 5, 6], x), target],
            "dtype" => [SafeTensor.FromInt64("input", [4, 2, 6, 5], new long[x.Length]), target],
            "notarget" => [good],
            "targetf32" => [good, SafeTensor.FromFloat("target", [4], [0, 1, 2, 0])],
            "targetlen" => [good, SafeTensor.FromInt64("target", [3], [0, 1, 2])],
            "range" => [good, SafeTensor.FromInt64("target", [4], [0, 3, 2, 0])],
            _ => [good, SafeTensor.FromInt64("target", [4], [-1, 0, 0, 0])],
        };
        SafeTensorsFile.Write(P("bad.safetensors"), tensors);
        var e = Fails(Std(batch: "bad.safetensors"));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(P("o.safetensors")));
    }

    [Fact]
    public void Grad_ModelWithoutClassScores_IsRejected()
    {
        WriteCase(_dir);
        File.WriteAllText(P("img.spec"), "input 2 6 5\nconv2d out_channels=3 kernel_size=1\n");
        var e = Fails("--model", P("img.spec"), "--weights", P("w.safetensors"), "--batch", P("b.safetensors"), "--out", P("o.safetensors"));
        Assert.Contains("cross-entropy", e.Message);
    }
}
