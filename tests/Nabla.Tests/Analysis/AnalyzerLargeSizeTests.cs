using Nabla.Analysis;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Analysis;

/// <summary>
/// Specs may declare sizes near 2^31 in every dimension. The analyzer must answer (or refuse with one line naming
/// the layer) without work proportional to those sizes, and its 64-bit counts must never wrap. These cases hung
/// the spec fuzz test (a receptive-field union scanned 10^9 output rows) and printed negative counts (an adaptive
/// pool of 2147483647x2147483647).
/// </summary>
public class AnalyzerLargeSizeTests
{
    private const int Pairs = 60;

    /// <summary>A naive twin of <see cref="ReceptiveFieldAxis.Cover"/>: evaluates every position.</summary>
    private static ReceptiveFieldAxis CoverByScan(int count, Func<int, long> lo, Func<int, long> hi, IEnumerable<long> strides)
    {
        ReceptiveFieldAxis best = default;
        bool found = false;
        foreach (long s in strides.Distinct())
        {
            long start = long.MaxValue, end = long.MinValue;
            for (int i = 0; i < count; i++)
            {
                start = Math.Min(start, lo(i) - i * s);
                end = Math.Max(end, hi(i) - i * s);
            }
            var candidate = new ReceptiveFieldAxis(end - start + 1, s, start);
            if (!found || candidate.Size < best.Size) { best = candidate; found = true; }
        }
        return best;
    }

    [Fact]
    public void Cover_OfAdaptivePoolWindows_EqualsScanOfEveryCell()
    {
        static long Lo(int i, int n, int o) => (long)i * n / o;
        static long Hi(int i, int n, int o) => ((long)(i + 1) * n + o - 1) / o - 1;
        for (int n = 1; n <= Pairs; n++)
            for (int o = 1; o <= Pairs; o++)
            {
                long[] strides = [Math.Max(1, n / o), (n + o - 1) / o];
                Assert.Equal(CoverByScan(o, i => Lo(i, n, o), i => Hi(i, n, o), strides),
                    ReceptiveFieldAxis.Cover(o, i => Lo(i, n, o), i => Hi(i, n, o), strides));
            }
    }

    [Fact]
    public void Cover_OfRandomUnions_EqualsScanOfEveryPosition()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 2000; trial++)
        {
            var fields = Enumerable.Range(0, rng.Next(1, 5))
                .Select(_ => new ReceptiveFieldAxis(rng.Next(1, 40), rng.Next(1, 9), rng.Next(-20, 20))).ToArray();
            int count = rng.Next(1, 50);
            long Lo(int i) => fields.Min(f => f.Start + i * f.Stride);
            long Hi(int i) => fields.Max(f => f.Start + i * f.Stride + f.Size - 1);
            var strides = fields.Select(f => f.Stride).ToArray();
            Assert.Equal(CoverByScan(count, Lo, Hi, strides), ReceptiveFieldAxis.Cover(count, Lo, Hi, strides));
        }
    }

    [Fact]
    public void AdaptiveWindowSum_EqualsSumOverCells()
    {
        for (int n = 1; n <= Pairs; n++)
            for (int o = 1; o <= Pairs; o++)
            {
                long sum = 0;
                for (int i = 0; i < o; i++) sum += ((long)(i + 1) * n + o - 1) / o - (long)i * n / o;
                Assert.Equal(sum, LayerMath.AdaptiveWindowSum(n, o));
            }
    }

    [Fact]
    public void HugeRowsThroughConcatAndResidual_AnalyzeWithoutScanningRows()
    {
        // The spec the fuzzer found: 2^31-1 input rows, a concat (with an empty branch) and a residual block.
        // Before the fix this took minutes; now it is refused at once for the real reason (a shape mismatch).
        string text = """
            input 3 2147483647 16
            conv2d out_channels=8 kernel_size=3x5 stride=2 padding=1x2 dilation=2 bias=false
            concat
              branch
              branch
                conv2d out_channels=4 kernel_size=1
              branch
                maxpool2d kernel_size=3 stride=1 padding=1
            end
            residual
              batchnorm2d
            shortcut
              conv2d out_channels=12 kernel_size=1
            end
            """;
        var e = Assert.Throws<NablaInputException>(() => ModelAnalyzer.Analyze(SpecParser.Parse(text, "huge.spec")));
        Assert.StartsWith("huge.spec:10: layer 2 (residual): expected the body output 20x1073741823x6", e.Message);

        // Without the mismatch the same sizes analyze, with the union's field computed exactly.
        var ok = ModelAnalyzer.Analyze(SpecParser.Parse(text.Replace("out_channels=12", "out_channels=20"), "huge.spec"));
        var small = ModelAnalyzer.Analyze(SpecParser.Parse(text.Replace("out_channels=12", "out_channels=20").Replace("2147483647", "63"), "small.spec"));
        Assert.Equal(small.Layers[^1].ReceptiveField, ok.Layers[^1].ReceptiveField);
    }

    [Fact]
    public void AdaptivePoolToHugeOutput_IsRefusedNamingTheLayer_NotWrapped()
    {
        var e = Assert.Throws<NablaInputException>(() =>
            ModelAnalyzer.Analyze(SpecParser.Parse("input 3 8 8\nadaptiveavgpool2d output_size=2147483647\n", "big.spec")));
        Assert.StartsWith("big.spec:2: layer 0 (adaptiveavgpool2d): expected counts and receptive field to fit in 64 bits", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AdaptivePoolToLargeOutput_CountsEqualTheSumOverCells()
    {
        // 5 rows pooled to 1,000,003 cells: the closed form must give what summing the cells gives.
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("input 2 5 7\nadaptiveavgpool2d output_size=1000003x3\n"));
        long rows = 0, cols = 0;
        for (int i = 0; i < 1_000_003; i++) rows += ((long)(i + 1) * 5 + 1_000_003 - 1) / 1_000_003 - (long)i * 5 / 1_000_003;
        for (int j = 0; j < 3; j++) cols += ((long)(j + 1) * 7 + 3 - 1) / 3 - (long)j * 7 / 3;
        Assert.Equal(2 * (rows * cols - 1_000_003L * 3), s.Layers[0].Counts.Adds);
    }

    [Fact]
    public void ConvWithHugeKernel_IsRefusedNamingTheLayer_NotWrapped()
    {
        // 4 outputs of 2^62 taps each: the multiplications exceed 64 bits (they used to print as negative numbers).
        var e = Assert.Throws<NablaInputException>(() => ModelAnalyzer.Analyze(
            SpecParser.Parse("input 1 2147483647 2147483647\nconv2d out_channels=4 kernel_size=2147483647\n", "ov.spec")));
        Assert.StartsWith("ov.spec:2: layer 0 (conv2d): expected counts and receptive field to fit in 64 bits", e.Message);
    }
}
