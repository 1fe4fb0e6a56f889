using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Quantization;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Quantization;

/// <summary>The int8 model against a naive NCHW integer twin (bit for bit) and against FP32 (within quantisation error).</summary>
[Collection(Nabla.Tests.Kernels.WorkersCollection.Name)]
public class QuantizedModelTests
{
    /// <summary>int8 logits may differ from FP32 by this fraction of the largest |FP32 logit| (a few u8 steps
    /// accumulated over three layers).</summary>
    private const float LogitTolerance = 0.08f;

    private const string TinyCnn = """
        input 2 9 9
        conv2d out_channels=5 kernel_size=3 stride=2 padding=1
        relu
        conv2d out_channels=6 kernel_size=2
        relu
        maxpool2d kernel_size=2 stride=1
        dropout p=0.5
        flatten
        linear out_features=7
        relu
        linear out_features=4
        """;

    private static (Sequential Model, Tensor X) Make(string spec, int n, int seed)
    {
        var s = SpecParser.Parse(spec);
        var model = ModelFactory.Build(s, new Rng((ulong)seed), new Rng(2));
        var x = Tensor.Randn(new Rng((ulong)seed + 7), [n, .. s.Input]);
        return (model, x);
    }

    /// <summary>LeNet-like (one input channel, 5x5 with padding 2, 6 channels: partial column panels), a kernel row of
    /// 3·3 = 9 bytes (not a multiple of 4: padded segments), whole 16-column tiles, stride-2 pooling over fewer and over
    /// more than 16 channels, and a 3x3 stride-2 pool (alexnet's).</summary>
    private const string SegmentCnn = """
        input 1 14 13
        conv2d out_channels=6 kernel_size=5 padding=2
        relu
        maxpool2d kernel_size=2
        conv2d out_channels=3 kernel_size=1
        relu
        conv2d out_channels=32 kernel_size=3 padding=1
        relu
        maxpool2d kernel_size=3 stride=2
        conv2d out_channels=20 kernel_size=2 stride=2
        flatten
        linear out_features=5
        """;

    [Theory]
    [InlineData(TinyCnn, 5)]
    [InlineData(SegmentCnn, 7)]
    public void Forward_MatchesNaiveIntegerTwin_BitForBit(string spec, int n)
    {
        var (model, x) = Make(spec, n, 3);
        var q = QuantizedModel.Quantize(model, [x]);
        var fast = q.Forward(x);
        var naive = NaiveInt8.Forward(model, q.Params, x);
        Assert.Equal(naive, fast.Data.AsSpan(0, fast.Numel).ToArray());
    }

    [Fact]
    public void Forward_MlpAndTinyCnn_CloseToFp32()
    {
        foreach (var spec in new[] { TinyCnn, "input 30\nlinear out_features=33\nrelu\nlinear out_features=5\n" })
        {
            var (model, x) = Make(spec, 64, 11);
            model.Eval();
            float[] fp32;
            using (Nabla.Autograd.GradMode.NoGrad()) fp32 = model.Forward(x).Data.ToArray();
            var int8 = QuantizedModel.Quantize(model, [x]).Forward(x).Data;
            float max = fp32.Max(Math.Abs);
            for (int i = 0; i < fp32.Length; i++) Assert.True(Math.Abs(fp32[i] - int8[i]) <= LogitTolerance * max, $"{i}: {fp32[i]} vs {int8[i]}");
        }
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalLogits()
    {
        var (model, x) = Make(TinyCnn, 3, 5);
        var q = QuantizedModel.Quantize(model, [x]);
        string path = Path.Combine(Path.GetTempPath(), $"nabla-q-{Guid.NewGuid():N}.safetensors");
        try
        {
            QuantizedFile.Save(path, q.Params, new Dictionary<string, string> { ["format"] = "nabla" });
            Assert.True(QuantizedFile.IsQuantized(path));
            var fresh = ModelFactory.Build(SpecParser.Parse(TinyCnn), new Rng(99), new Rng(2)); // other FP32 weights: unused
            var back = QuantizedModel.Build(fresh, QuantizedFile.Load(path, fresh), [2, 9, 9]);
            Assert.Equal(q.Forward(x).Data, back.Forward(x).Data);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Save_WritesWeightCodesAsI8_AndF32CodeFilesStillLoad()
    {
        var (model, x) = Make(TinyCnn, 3, 6);
        var q = QuantizedModel.Quantize(model, [x]);
        string path = Path.Combine(Path.GetTempPath(), $"nabla-q-{Guid.NewGuid():N}.safetensors");
        string legacy = path + ".f32.safetensors";
        try
        {
            QuantizedFile.Save(path, q.Params, new Dictionary<string, string>());
            var file = SafeTensorsFile.Read(path);
            foreach (var (name, l) in q.Params.Layers)
            {
                Assert.Equal(SafeDType.I8, file[name + ".weight"].DType);
                Assert.Equal(l.Weight, file[name + ".weight"].Int8);
                Assert.Equal(SafeDType.F32, file[name + ".weight_scale"].DType);
            }
            // The format before I8: the same codes as F32 integers.
            var asF32 = file.Tensors.Select(t => t.DType == SafeDType.I8 ? SafeTensor.FromFloat(t.Name, t.Shape, t.Float!) : t);
            SafeTensorsFile.Write(legacy, asF32, file.Metadata);
            Assert.True(new FileInfo(legacy).Length > new FileInfo(path).Length);
            foreach (var p in new[] { path, legacy })
            {
                var fresh = ModelFactory.Build(SpecParser.Parse(TinyCnn), new Rng(98), new Rng(2));
                var back = QuantizedModel.Build(fresh, QuantizedFile.Load(p, fresh), [2, 9, 9]);
                Assert.Equal(q.Forward(x).Data, back.Forward(x).Data);
            }
            // -128 is a valid I8 value but not a symmetric code: refused, naming file and tensor.
            var bad = file.Tensors.Select(t => t.Name == "0.weight" ? SafeTensor.FromInt8(t.Name, t.Shape, [-128, .. t.Int8!.Skip(1)]) : t);
            SafeTensorsFile.Write(legacy, bad, file.Metadata);
            var fresh2 = ModelFactory.Build(SpecParser.Parse(TinyCnn), new Rng(98), new Rng(2));
            var e = Assert.Throws<NablaInputException>(() => QuantizedFile.Load(legacy, fresh2));
            Assert.Contains("'0.weight' holds -128 at 0", e.Message);
            Assert.Contains(legacy, e.Message);
        }
        finally
        {
            File.Delete(path);
            File.Delete(legacy);
        }
    }

    [Fact]
    public void Quantize_BatchNorm_IsRefusedByName()
    {
        var (model, x) = Make("input 1 6 6\nconv2d out_channels=2 kernel_size=3\nbatchnorm2d\nrelu\nflatten\nlinear out_features=3\n", 2, 1);
        var e = Assert.Throws<NablaInputException>(() => QuantizedModel.Quantize(model, [x]));
        Assert.Contains("layer 1", e.Message);
        Assert.Contains("batchnorm", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void QAct_FromRange_CoversZeroExactly()
    {
        var a = QAct.FromRange(-1f, 3f);
        Assert.Equal(4f / 255f, a.Scale);
        Assert.Equal(64, a.ZeroPoint); // round(1 / (4/255)) = round(63.75)
        Assert.Equal(0, QAct.FromRange(0.5f, 2f).ZeroPoint); // widened to [0, 2]
        Assert.Equal(new QAct(1f, 0), QAct.FromRange(0f, 0f));
    }
}

/// <summary>Naive twin of <see cref="QuantizedModel"/>: NCHW, direct loops, PyTorch's flatten order, the documented
/// integer arithmetic (bias32 = round(b/(s_x·s_w)) − z_x·Σw, requant with one float multiply, round half to even).</summary>
internal static class NaiveInt8
{
    public static float[] Forward(Sequential model, QuantParams p, Tensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var act = p.Input;
        var q = x.Data.Take(x.Numel).Select(v => Math.Clamp((int)MathF.Round(v * (1f / act.Scale)) + act.ZeroPoint, 0, 255)).ToArray();
        float[]? logits = null;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var l = model.Layers[i];
            string name = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (l is Conv2d conv)
            {
                var lp = p.Layers[name];
                var (kh, kw) = conv.KernelSize;
                var (sh, sw) = conv.Options.Stride;
                var (ph, pw) = conv.Options.Padding;
                int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1, co = conv.OutChannels;
                var y = new int[n * co * oh * ow];
                for (int b = 0; b < n; b++)
                    for (int o = 0; o < co; o++)
                    {
                        var (bias, mult) = Requant(lp, act, o, c * kh * kw);
                        for (int yy = 0; yy < oh; yy++)
                            for (int xx = 0; xx < ow; xx++)
                            {
                                int acc = 0;
                                for (int ci = 0; ci < c; ci++)
                                    for (int u = 0; u < kh; u++)
                                        for (int v = 0; v < kw; v++)
                                        {
                                            int iy = yy * sh - ph + u, ix = xx * sw - pw + v;
                                            int a = iy < 0 || iy >= h || ix < 0 || ix >= w ? act.ZeroPoint : q[((b * c + ci) * h + iy) * w + ix];
                                            acc += a * lp.Weight[((o * c + ci) * kh + u) * kw + v];
                                        }
                                y[((b * co + o) * oh + yy) * ow + xx] = Math.Clamp((int)MathF.Round((float)(acc + bias) * mult) + lp.Output!.Value.ZeroPoint, 0, 255);
                            }
                    }
                (q, c, h, w, act) = (y, co, oh, ow, lp.Output!.Value);
            }
            else if (l is MaxPool2d mp)
            {
                var (kh, kw) = mp.KernelSize;
                var (sh, sw) = mp.Stride;
                int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1;
                var y = new int[n * c * oh * ow];
                for (int b = 0; b < n * c; b++)
                    for (int yy = 0; yy < oh; yy++)
                        for (int xx = 0; xx < ow; xx++)
                        {
                            int m = 0;
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++) m = Math.Max(m, q[(b * h + yy * sh + u) * w + xx * sw + v]);
                            y[(b * oh + yy) * ow + xx] = m;
                        }
                (q, h, w) = (y, oh, ow);
            }
            else if (l is Linear lin)
            {
                var lp = p.Layers[name];
                int f = lin.InFeatures, o = lin.OutFeatures;
                var y = new int[n * o];
                var yf = new float[n * o];
                for (int b = 0; b < n; b++)
                    for (int j = 0; j < o; j++)
                    {
                        var (bias, mult) = Requant(lp, act, j, f);
                        int acc = 0;
                        for (int k = 0; k < f; k++) acc += q[b * f + k] * lp.Weight[j * f + k];
                        float v = (float)(acc + bias) * mult;
                        if (lp.Output is { } oa) y[b * o + j] = Math.Clamp((int)MathF.Round(v) + oa.ZeroPoint, 0, 255);
                        else yf[b * o + j] = v;
                    }
                if (lp.Output is { } next) { (q, c, h, w, act) = (y, o, 1, 1, next); }
                else logits = yf;
            }
            // relu right after conv/linear is the requantisation's clamp at zero point 0; flatten and dropout change nothing here
        }
        return logits!;
    }

    private static (int Bias, float Mult) Requant(QLayerParams lp, QAct input, int o, int k)
    {
        double sxw = (double)input.Scale * lp.WeightScale[o];
        int sum = 0;
        for (int i = 0; i < k; i++) sum += lp.Weight[o * k + i];
        int bias = (int)Math.Round(lp.Bias[o] / sxw) - input.ZeroPoint * sum;
        return (bias, (float)(lp.Output is { } y ? sxw / y.Scale : sxw));
    }
}
