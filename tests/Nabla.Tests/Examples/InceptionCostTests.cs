using Nabla.Analysis;
using Nabla.Examples;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Examples;

public class InceptionCostTests
{
    /// <summary>Closed-form counts of a concat of branches of conv (stride 1, 'same' padding), relu and
    /// stride-1 'same' max-pool layers on C x H x W: params out·(in·k²+1), mults = adds = H·W·out·in·k²,
    /// activations H·W·C per relu.</summary>
    private static (Counts Counts, int Channels) ClosedForm(ModelSpec spec)
    {
        int c0 = spec.Input[0], hw = spec.Input[1] * spec.Input[2];
        var total = Counts.Zero;
        int outChannels = 0;
        foreach (var branch in ((ConcatSpec)spec.Layers.Single()).Branches)
        {
            int c = c0;
            foreach (var layer in branch)
            {
                switch (layer)
                {
                    case Conv2dSpec conv:
                        long k2 = conv.KernelSize.H * conv.KernelSize.W;
                        long mults = (long)hw * conv.OutChannels * c * k2;
                        total += new Counts(conv.OutChannels * (c * k2 + 1), mults, mults, 0);
                        c = conv.OutChannels;
                        break;
                    case ActivationSpec:
                        total += new Counts(0, 0, 0, (long)hw * c);
                        break;
                }
            }
            outChannels += c;
        }
        return (total, outChannels);
    }

    [Fact]
    public void Inception_AnalyzerCounts_MatchClosedForms_BottleneckCheaper()
    {
        var r = InceptionCost.Run(TextWriter.Null);
        var (naive, naiveC) = ClosedForm(Zoo.Load("inception-naive"));
        var (bottle, bottleC) = ClosedForm(Zoo.Load("inception-bottleneck"));
        Assert.Equal(naive, r.Naive);
        Assert.Equal(bottle, r.Bottleneck);
        Assert.Equal(naiveC, r.NaiveOutput[0]);
        Assert.Equal(bottleC, r.BottleneckOutput[0]);
        Assert.True(r.MultRatio > 1, $"naive/bottleneck mults {r.MultRatio}");
        Assert.True(r.Holds);
    }
}
