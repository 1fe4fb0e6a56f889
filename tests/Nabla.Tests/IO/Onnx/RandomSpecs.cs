using Nabla.Analysis;
using Nabla.IO.Spec;

namespace Nabla.Tests.IO.Onnx;

/// <summary>Seeded random specs for the export tests, drawn the way tools/random_archs.py draws them: an image stage
/// (conv2d with asymmetric kernels, stride, padding, dilation and groups, often followed by batchnorm2d; max/avg pools
/// with ceil_mode and count_include_pad; adaptive pooling to sizes that need not divide; activations, softmax over
/// channels, dropout, residual and concat blocks), then flatten and a linear stage (batchnorm1d, activations, dropout).</summary>
internal static class RandomSpecs
{
    public static ModelSpec Draw(int seed)
    {
        var rng = new Random(seed);
        while (true)
        {
            int c = rng.Next(1, 5);
            var lines = new List<string> { $"input {c} {rng.Next(5, 13)} {rng.Next(5, 13)}" };
            int depth = rng.Next(1, 6);
            for (int i = 0; i < depth; i++) lines.AddRange(ImageLayer(rng, ref c));
            lines.Add("flatten");
            int dense = rng.Next(0, 3);
            for (int i = 0; i < dense; i++) lines.AddRange(DenseLayer(rng));
            lines.Add($"linear out_features={rng.Next(2, 7)}");
            if (rng.Next(4) == 0) lines.Add(rng.Next(2) == 0 ? "softmax" : "logsoftmax");
            try
            {
                var spec = SpecParser.Parse(string.Join("\n", lines), $"<random spec {seed}>");
                ModelAnalyzer.Analyze(spec);
                return spec;
            }
            catch (NablaInputException) { } // shrank below 1x1 or a window larger than its input: draw again
        }
    }

    private static string Size(Random rng, int max) => rng.Next(3) == 0 ? $"{rng.Next(1, max + 1)}x{rng.Next(1, max + 1)}" : $"{rng.Next(1, max + 1)}";

    private static string Activation(Random rng) => rng.Next(5) switch
    {
        0 => "relu",
        1 => "sigmoid",
        2 => "tanh",
        3 => $"leakyrelu negative_slope={rng.Next(1, 30) / 100.0}",
        _ => "relu",
    };

    private static IEnumerable<string> Conv(Random rng, ref int c, int? outChannels = null, bool same = false)
    {
        int groups = c % 2 == 0 && rng.Next(3) == 0 ? 2 : 1;
        int o = outChannels ?? groups * rng.Next(1, 4);
        if (o % groups != 0) groups = 1;
        c = o;
        var lines = new List<string>();
        if (same)
        {
            int d = rng.Next(1, 3);
            lines.Add($"conv2d out_channels={o} kernel_size=3 padding={d} dilation={d} groups={groups} bias={(rng.Next(2) == 0 ? "true" : "false")}");
        }
        else
        {
            int k = rng.Next(1, 4), s = rng.Next(1, 3), d = rng.Next(1, 3);
            lines.Add($"conv2d out_channels={o} kernel_size={k}x{rng.Next(1, 4)} stride={s}x{rng.Next(1, 3)} padding={rng.Next(0, 2)}x{rng.Next(0, 2)} dilation={d}x{rng.Next(1, 3)} groups={groups} bias={(rng.Next(3) == 0 ? "false" : "true")}");
        }
        if (rng.Next(2) == 0) lines.Add(rng.Next(4) == 0 ? "batchnorm2d affine=false" : "batchnorm2d");
        return lines;
    }

    private static IEnumerable<string> ImageLayer(Random rng, ref int c)
    {
        int k = rng.Next(1, 4), s = rng.Next(1, 4), p = rng.Next(0, k / 2 + 1);
        string ceil = rng.Next(2) == 0 ? "true" : "false";
        switch (rng.Next(11))
        {
            case 0: case 1: return Conv(rng, ref c);
            case 2: return [$"maxpool2d kernel_size={k} stride={s} padding={p} dilation={rng.Next(1, 3)} ceil_mode={ceil}"];
            case 3: return [$"avgpool2d kernel_size={k} stride={s} padding={p} ceil_mode={ceil} count_include_pad={(rng.Next(2) == 0 ? "true" : "false")}"];
            case 4: return [$"adaptiveavgpool2d output_size={Size(rng, 4)}"];
            case 5: return [Activation(rng)];
            case 6: return [rng.Next(2) == 0 ? "softmax" : "logsoftmax"];
            case 7: return [$"dropout p={rng.Next(0, 60) / 100.0}", "batchnorm2d"];
            case 8:
            {
                int c0 = c;
                var body = Conv(rng, ref c, c0, same: true).Append(Activation(rng)).ToList();
                if (rng.Next(2) == 0) return ["residual", .. body, "end"];
                int inner = c0;
                return ["residual", .. body, "shortcut", .. Conv(rng, ref inner, c0, same: true), "end"];
            }
            default:
            {
                int c0 = c, total = 0;
                var lines = new List<string> { "concat" };
                int branches = rng.Next(1, 4);
                for (int b = 0; b < branches; b++)
                {
                    lines.Add("branch");
                    int cb = c0;
                    if (rng.Next(3) == 0) lines.Add("maxpool2d kernel_size=3 stride=1 padding=1");
                    else lines.AddRange(Conv(rng, ref cb, rng.Next(1, 4), same: true));
                    total += cb;
                }
                lines.Add("end");
                c = total;
                return lines;
            }
        }
    }

    private static IEnumerable<string> DenseLayer(Random rng) => rng.Next(4) switch
    {
        0 => [$"linear out_features={rng.Next(2, 12)}", "batchnorm1d"],
        1 => [$"linear out_features={rng.Next(2, 12)} bias=false", Activation(rng)],
        2 => [$"dropout p={rng.Next(0, 60) / 100.0}"],
        _ => [$"linear out_features={rng.Next(2, 12)}", Activation(rng)],
    };
}
