namespace Nabla.Quantization;

/// <summary>Affine u8 quantisation of an activation: real = Scale · (q − ZeroPoint), q in [0, 255].</summary>
/// <param name="Scale">Real value of one step (positive).</param>
/// <param name="ZeroPoint">The code of real 0, in [0, 255].</param>
public readonly record struct QAct(float Scale, int ZeroPoint)
{
    /// <summary>The u8 parameters covering [min, max] widened to include 0 (so zero padding and ReLU are exact):
    /// Scale = (max − min) / 255, ZeroPoint = round(−min / Scale).</summary>
    public static QAct FromRange(float min, float max)
    {
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        if (!(max - min > 0) || !float.IsFinite(max - min)) return new QAct(1f, 0);
        float scale = (max - min) / 255f;
        return new QAct(scale, Math.Clamp((int)MathF.Round(-min / scale), 0, 255));
    }
}

/// <summary>
/// The int8 form of one conv2d or linear layer: per-output-channel symmetric weights
/// (real W[o, ...] = WeightScale[o] · Weight[o, ...], Weight in [−127, 127], PyTorch's layout), the float bias,
/// and the quantisation of its output (null when the layer's output stays float: the model's last layer).
/// </summary>
/// <param name="Name">The layer's state-dict prefix ("3").</param>
/// <param name="Weight">int8 weights in the FP32 layer's layout ([O, I, KH, KW] or [O, I]).</param>
/// <param name="WeightScale">One scale per output channel.</param>
/// <param name="Bias">The float bias (zeros when the layer has none).</param>
/// <param name="Output">Output quantisation, after the ReLU that follows the layer if there is one.</param>
public sealed record QLayerParams(string Name, sbyte[] Weight, float[] WeightScale, float[] Bias, QAct? Output)
{
    /// <summary>The FP32 layer's weight shape (for export), when known.</summary>
    public int[]? Shape { get; init; }

    /// <summary>Per-output-channel symmetric int8 weights of <paramref name="w"/> (O rows of <c>w.Length / O</c>):
    /// scale = max|w| / 127 (1 for an all-zero row), q = clamp(round(w / scale), −127, 127).</summary>
    public static (sbyte[] Q, float[] Scale) QuantizeWeights(ReadOnlySpan<float> w, int outChannels)
    {
        int per = outChannels == 0 ? 0 : w.Length / outChannels;
        var q = new sbyte[w.Length];
        var s = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            var row = w.Slice(o * per, per);
            float max = 0;
            foreach (float v in row) max = Math.Max(max, Math.Abs(v));
            float scale = max > 0 ? max / 127f : 1f;
            s[o] = scale;
            for (int i = 0; i < per; i++) q[o * per + i] = (sbyte)Math.Clamp((int)MathF.Round(row[i] / scale), -127, 127);
        }
        return (q, s);
    }
}

/// <summary>Everything that defines an int8 model besides its architecture: the input quantisation and each
/// conv2d/linear layer's <see cref="QLayerParams"/>, by layer name.</summary>
/// <param name="Input">Quantisation of the model's input.</param>
/// <param name="Layers">Per compute layer, keyed by state-dict prefix.</param>
public sealed record QuantParams(QAct Input, IReadOnlyDictionary<string, QLayerParams> Layers);
