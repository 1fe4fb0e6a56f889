using Nabla.Analysis;
using Nabla.Examples;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Examples;

public class AlexNetCostTests
{
    [Fact]
    public void AlexNet227_PerLayerCounts_MatchClosedForms_AndTotalsAddUp()
    {
        var r = AlexNetCost.Run(TextWriter.Null);
        Assert.Equal(5, r.Rows.Count(x => x.Type == "conv2d"));
        Assert.Equal(3, r.Rows.Count(x => x.Type == "linear"));
        Assert.Equal([3, 227, 227], r.Spec.Input);
        var conv1 = (Conv2dSpec)r.Spec.Layers.First(l => l is Conv2dSpec);
        Assert.Equal(11, conv1.KernelSize.H);
        Assert.Equal(4, conv1.Stride.H);
        Assert.Equal(0, conv1.Padding.H);
        Assert.Equal([64, (227 - 11) / 4 + 1, (227 - 11) / 4 + 1], r.Rows[0].OutputShape);

        // Closed forms from the layer's input shape (the previous row's output in the full summary) and its spec.
        var summary = ModelAnalyzer.Analyze(r.Spec);
        foreach (var row in r.Rows)
        {
            int idx = summary.Layers.ToList().FindIndex(l => l.Name == row.Name);
            var input = idx == 0 ? r.Spec.Input : summary.Layers[idx - 1].OutputShape;
            long expected = summary.Layers[idx].Layer switch
            {
                Conv2dSpec c => (long)row.OutputShape[0] * row.OutputShape[1] * row.OutputShape[2] * input[0] * c.KernelSize.H * c.KernelSize.W,
                LinearSpec f => (long)f.OutFeatures * input[0],
                _ => throw new InvalidOperationException(row.Type),
            };
            Assert.Equal(expected, row.Counts.Mults);
            Assert.Equal(expected, row.Counts.Adds); // with bias: k products need k − 1 additions, plus one for the bias
        }
        Assert.Equal(r.Rows.Aggregate(Counts.Zero, (a, x) => a + x.Counts), r.Total);
        Assert.Equal(r.ConvTotal + r.LinearTotal, r.Total);
        Assert.Equal(r.ZooTotal, r.Total);
        Assert.True(r.Holds);
    }
}
