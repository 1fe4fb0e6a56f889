using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Analysis;

/// <summary>
/// The reported receptive field against the engine (issue 5): random small specs are built by
/// <see cref="ModelFactory"/> and run.
/// </summary>
public class ReceptiveFieldPropertyTests
{
    private const int SubsetNets = 40;
    private const int PlainNets = 40;
    private const float Perturbation = 1f;
    // Outputs outside a pixel's reach are computed from identical operands; this only absorbs reordering noise.
    private const float ChangeTolerance = 1e-5f;

    /// <summary>Every pixel whose perturbation changes output (i, j) lies inside the reported range.</summary>
    [Fact]
    public void PerturbedPixelsThatChangeOutput_LieInsideReportedRange()
    {
        var rng = new Random(5);
        for (int n = 0; n < SubsetNets; n++)
        {
            var (spec, summary) = RandomSpec(rng, plain: false);
            var net = ModelFactory.Build(spec, new Rng((ulong)n + 1), new Rng(0));
            net.Eval();
            var rf = summary.Layers[^1].ReceptiveField!;
            int c = spec.Input[0], h = spec.Input[1], w = spec.Input[2];
            var x = RandomInput(rng, c, h, w, positive: false);
            var y0 = net.Forward(x).ToArray();
            int[] outShape = summary.Layers[^1].OutputShape.ToArray();
            int changes = 0;
            for (int p = 0; p < c * h * w; p++)
            {
                var xp = x.Clone();
                xp.Data[p] += Perturbation;
                var y1 = net.Forward(xp).ToArray();
                int py = p / w % h, px = p % w;
                for (int k = 0; k < y0.Length; k++)
                {
                    if (MathF.Abs(y1[k] - y0[k]) <= ChangeTolerance * (1 + MathF.Abs(y0[k]))) continue;
                    changes++;
                    int i = k / outShape[2] % outShape[1], j = k % outShape[2];
                    Assert.True(Inside(rf.H, i, py) && Inside(rf.W, j, px),
                        $"net {n}: pixel ({py},{px}) changes output ({i},{j}) outside {rf.Range(0)}\n{SpecWriter.Write(spec)}");
                }
            }
            Assert.True(changes > 0, $"net {n}: no perturbation changed any output\n{SpecWriter.Write(spec)}");
        }
    }

    /// <summary>
    /// On plain stacks (no dilation, stride at most the kernel, no window wholly in padding; positive weights
    /// and inputs so that no path cancels or is cut by a ReLU) the pixels output (i, j) depends on fill the
    /// reported range clipped to the image.
    /// </summary>
    [Fact]
    public void PlainStacks_DependencyBoundingBox_EqualsClippedRange()
    {
        var rng = new Random(55);
        for (int n = 0; n < PlainNets; n++)
        {
            var (spec, summary) = RandomSpec(rng, plain: true);
            var net = ModelFactory.Build(spec, new Rng((ulong)n + 100), new Rng(0));
            foreach (var (_, t) in net.NamedParameters()) for (int k = 0; k < t.Numel; k++) t.Data[k] = 0.1f + (float)rng.NextDouble();
            net.Eval();
            var rf = summary.Layers[^1].ReceptiveField!;
            int c = spec.Input[0], h = spec.Input[1], w = spec.Input[2];
            int[] outShape = summary.Layers[^1].OutputShape.ToArray();
            for (int i = 0; i < outShape[1]; i++)
            for (int j = 0; j < outShape[2]; j++)
            {
                var (top, bottom, left, right) = DependencyBox(net, RandomInput(rng, c, h, w, positive: true), outShape, i, j);
                string where = $"net {n}, output ({i},{j}), range {rf.Range(0)}\n{SpecWriter.Write(spec)}";
                Assert.True(top <= bottom, "no dependency at all: " + where);
                Assert.True((Lo(rf.H, i), Hi(rf.H, i, h), Lo(rf.W, j), Hi(rf.W, j, w)) == (top, bottom, left, right),
                    $"rows {top}..{bottom}, columns {left}..{right} depend on {where}");
            }
        }
    }

    [Fact]
    public void StructuralRange_IsUpperBound_WhenAnEarlierLayerDropsRows()
    {
        var spec = SpecParser.Parse("input 1 10 10\navgpool2d kernel_size=3 stride=2 padding=1\navgpool2d kernel_size=3\navgpool2d kernel_size=2 stride=1 padding=1\n");
        var rf = ModelAnalyzer.Analyze(spec).Layers[^1].ReceptiveField!;
        Assert.Equal(new ReceptiveFieldAxis(13, 6, -7), rf.H);
        var net = ModelFactory.Build(spec, new Rng(1), new Rng(0));
        var (top, bottom, _, _) = DependencyBox(net, RandomInput(new Random(1), 1, 10, 10, positive: true), [1, 2, 2], 1, 0);
        Assert.Equal((0, 5), (top, bottom)); // the range says -1..11, i.e. 0..9 on the image
    }

    /// <summary>The bounding box of the input pixels with a non-zero gradient of sum over channels of y[:, i, j].</summary>
    private static (int Top, int Bottom, int Left, int Right) DependencyBox(Module net, Tensor x, int[] outShape, int i, int j)
    {
        int c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        x.RequiresGrad = true;
        var y = net.Forward(x);
        var mask = new Tensor(y.Shape);
        for (int ch = 0; ch < outShape[0]; ch++) mask.Data[(ch * outShape[1] + i) * outShape[2] + j] = 1f;
        y.Backward(mask);
        int top = int.MaxValue, bottom = int.MinValue, left = int.MaxValue, right = int.MinValue;
        for (int p = 0; p < c * h * w; p++)
        {
            if (x.Grad!.Data[p] == 0f) continue;
            int py = p / w % h, px = p % w;
            top = Math.Min(top, py); bottom = Math.Max(bottom, py);
            left = Math.Min(left, px); right = Math.Max(right, px);
        }
        return (top, bottom, left, right);
    }

    private static int Lo(ReceptiveFieldAxis a, int i) => (int)Math.Max(0, a.Start + i * a.Stride);

    private static int Hi(ReceptiveFieldAxis a, int i, int n) => (int)Math.Min(n - 1, a.Start + i * a.Stride + a.Size - 1);

    private static bool Inside(ReceptiveFieldAxis a, int i, int pixel) =>
        pixel >= a.Start + i * a.Stride && pixel <= a.Start + i * a.Stride + a.Size - 1;

    private static Tensor RandomInput(Random rng, int c, int h, int w, bool positive)
    {
        var x = new Tensor(1, c, h, w);
        for (int k = 0; k < x.Numel; k++) x.Data[k] = positive ? 0.1f + (float)rng.NextDouble() : (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>A random spec that analyzes without error and ends in an image of at least 1x1.</summary>
    private static (ModelSpec, ModelSummary) RandomSpec(Random rng, bool plain)
    {
        while (true)
        {
            int c = rng.Next(1, 3), h = rng.Next(6, 13), w = rng.Next(6, 13);
            var lines = new List<string> { $"input {c} {h} {w}" };
            int depth = rng.Next(1, 5);
            for (int l = 0; l < depth; l++) lines.AddRange(RandomLayer(rng, plain, ref c));
            try
            {
                var spec = SpecParser.Parse(string.Join("\n", lines));
                var summary = ModelAnalyzer.Analyze(spec);
                if (!plain || TilesExactly(spec, summary)) return (spec, summary);
            }
            catch (NablaInputException) { } // shrank below 1x1: draw again
        }
    }

    /// <summary>
    /// True when every window layer's windows cover its padded input to the last row and column. Otherwise an
    /// earlier layer drops trailing rows that a later layer's padding maps back onto: the structural range then
    /// includes pixels nothing depends on (e.g. avgpool 3/2 pad 1, avgpool 3, avgpool 2/1 pad 1 on 10 rows:
    /// output row 1 has the range -1..11 (0..9 clipped), but depends on rows 0..5 only). docs/counting.md says so.
    /// </summary>
    private static bool TilesExactly(ModelSpec spec, ModelSummary summary)
    {
        var input = spec.Input;
        foreach (var row in summary.Layers)
        {
            (Size2 k, Size2 s, Size2 p)? window = row.Layer switch
            {
                Conv2dSpec c => (c.KernelSize, c.Stride, c.Padding),
                Pool2dSpec q => (q.KernelSize, q.Stride, q.Padding),
                _ => null,
            };
            if (window is var (k, s, p) &&
                ((input[1] + 2 * p.H - k.H) % s.H != 0 || (input[2] + 2 * p.W - k.W) % s.W != 0)) return false;
            input = row.OutputShape;
        }
        return true;
    }

    private static IEnumerable<string> RandomLayer(Random rng, bool plain, ref int channels)
    {
        int k = rng.Next(1, 4), s = rng.Next(1, plain ? k + 1 : 3), d = plain ? 1 : rng.Next(1, 3);
        int p = rng.Next(0, k / 2 + 1);
        int kind = rng.Next(plain ? 3 : 6);
        switch (kind)
        {
            case 0:
                channels = rng.Next(1, 3);
                return [$"conv2d out_channels={channels} kernel_size={k} stride={s} padding={p} dilation={d}"];
            case 1:
                return [$"avgpool2d kernel_size={k} stride={s} padding={p}"];
            case 2:
                return ["relu"];
            case 3:
                return [$"maxpool2d kernel_size={k} stride={s} padding={p}"];
            case 4:
            {
                int c = channels;
                return ["residual", $"conv2d out_channels={c} kernel_size=3 padding={d} dilation={d}", "relu",
                        "shortcut", $"conv2d out_channels={c} kernel_size=1", "end"];
            }
            default:
            {
                int q = rng.Next(1, 3);
                channels = 1 + q + channels;
                return ["concat", "branch", "conv2d out_channels=1 kernel_size=1", "branch", $"conv2d out_channels={q} kernel_size=3 padding=1",
                        "branch", "maxpool2d kernel_size=3 stride=1 padding=1", "end"];
            }
        }
    }
}
