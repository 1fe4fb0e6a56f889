using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.IO;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Parity;

/// <summary>
/// A fixed subset of tools/random_archs.py's random architectures, replayed through `nabla grad`
/// (<see cref="GradCommand"/>, the CLI's own code path) in evaluation and training mode, and compared with
/// PyTorch's float64 results stored next to them: output, loss, grad.input and every grad.&lt;param&gt;.
/// </summary>
public sealed class RandomArchitectureTests(ITestOutputHelper log)
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "random_archs");

    public static TheoryData<string> Archs()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Root).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void Fixtures_ArePresent()
    {
        Assert.True(Archs().Count >= 13, $"expected at least 13 architectures under {Root}");
    }

    [Theory]
    [MemberData(nameof(Archs))]
    public void Grad_MatchesPyTorch_EvalAndTrain(string arch)
    {
        string dir = Path.Combine(Root, arch);
        var metric = new ParityMetric();
        foreach (var mode in new[] { "eval", "train" })
        {
            string outPath = Path.Combine(Path.GetTempPath(), $"nabla-{arch}-{mode}-{Guid.NewGuid():N}.safetensors");
            try
            {
                var args = new List<string>
                {
                    "--model", Path.Combine(dir, mode == "eval" ? "model.spec" : "model_train.spec"),
                    "--weights", Path.Combine(dir, "weights.safetensors"),
                    "--batch", Path.Combine(dir, "batch.safetensors"),
                    "--out", outPath,
                };
                if (mode == "train") args.Add("--train");
                Assert.Equal(0, new GradCommand(new StringWriter()).Run(new Args("grad", args)));
                var got = SafeTensorsFile.Read(outPath);
                var expected = SafeTensorsFile.Read(Path.Combine(dir, $"expected_{mode}.safetensors"));
                Assert.Equal(expected.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), got.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
                foreach (var e in expected.Tensors)
                {
                    var g = got[e.Name];
                    metric.Check($"{mode} {e.Name}", g.Float!.Select(v => (double)v).ToArray(), g.Shape, e.Float!.Select(v => (double)v).ToArray(), e.Shape);
                }
            }
            finally { File.Delete(outPath); }
        }
        metric.AssertAll(log, arch);
    }
}
