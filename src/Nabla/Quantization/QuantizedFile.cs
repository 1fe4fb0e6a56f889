using System.Globalization;
using Nabla.IO;
using Nabla.NN;

namespace Nabla.Quantization;

/// <summary>
/// int8 models in safetensors: <c>__metadata__</c> has <c>quantization = int8</c>; <c>input_scale</c> and
/// <c>input_zero_point</c> (one element each) quantise the input; each conv2d/linear layer <c>L</c> has
/// <c>L.weight</c> (its int8 codes in [−127, 127], dtype I8 (PyTorch <c>torch.int8</c>) in PyTorch's layout, so
/// real weights are <c>L.weight · L.weight_scale[o]</c>), <c>L.weight_scale</c> [O] (F32), <c>L.bias</c> [O] (F32),
/// and, unless its output stays float (the last layer), <c>L.output_scale</c> and <c>L.output_zero_point</c> (F32,
/// after its ReLU).
/// </summary>
/// <remarks>Files written before I8 was supported hold the codes as F32 integers; <see cref="Load"/> reads both.</remarks>
public static class QuantizedFile
{
    /// <summary>The metadata key and value that mark an int8 file.</summary>
    public const string MetadataKey = "quantization", MetadataValue = "int8";

    /// <summary>True when <paramref name="path"/> is an int8 file written by <see cref="Save"/>.</summary>
    public static bool IsQuantized(string path) =>
        SafeTensorsFile.Read(path).Metadata.TryGetValue(MetadataKey, out var v) && v == MetadataValue;

    /// <summary>Writes <paramref name="p"/> atomically with <paramref name="metadata"/> added to the header.</summary>
    public static void Save(string path, QuantParams p, IReadOnlyDictionary<string, string> metadata)
    {
        var t = new List<SafeTensor>
        {
            SafeTensor.FromFloat("input_scale", [1], [p.Input.Scale]),
            SafeTensor.FromFloat("input_zero_point", [1], [p.Input.ZeroPoint]),
        };
        foreach (var (name, l) in p.Layers)
        {
            t.Add(SafeTensor.FromInt8($"{name}.weight", WeightShape(l), (sbyte[])l.Weight.Clone()));
            t.Add(SafeTensor.FromFloat($"{name}.weight_scale", [l.WeightScale.Length], l.WeightScale));
            t.Add(SafeTensor.FromFloat($"{name}.bias", [l.Bias.Length], l.Bias));
            if (l.Output is { } o)
            {
                t.Add(SafeTensor.FromFloat($"{name}.output_scale", [1], [o.Scale]));
                t.Add(SafeTensor.FromFloat($"{name}.output_zero_point", [1], [o.ZeroPoint]));
            }
        }
        var meta = new Dictionary<string, string>(metadata, StringComparer.Ordinal) { [MetadataKey] = MetadataValue };
        SafeTensorsFile.Write(path, t, meta);
    }

    private static int[] WeightShape(QLayerParams l) => l.Shape ?? [l.WeightScale.Length, l.Weight.Length / Math.Max(1, l.WeightScale.Length)];

    /// <summary>Reads the int8 parameters of <paramref name="model"/>'s conv2d/linear layers from <paramref name="path"/>.</summary>
    /// <exception cref="NablaInputException">A tensor is missing, mis-shaped or out of range; the message names file and tensor.</exception>
    public static QuantParams Load(string path, Sequential model)
    {
        var f = SafeTensorsFile.Read(path);
        if (!f.Metadata.TryGetValue(MetadataKey, out var v) || v != MetadataValue)
            throw new NablaInputException($"{path}: not an int8 file (no '{MetadataKey}: {MetadataValue}' in its metadata; write one with 'nabla export --quantize int8')");
        float[] Get(string name, long count)
        {
            if (!f.TryGet(name, out var s)) throw new NablaInputException($"{path}: tensor '{name}' is missing");
            var data = s.Float ?? throw new NablaInputException($"{path}: tensor '{name}' is {s.DType}, F32 expected");
            if (data.Length != count) throw new NablaInputException($"{path}: tensor '{name}' has {data.Length} values, {count} expected");
            return data;
        }
        QAct Act(string prefix)
        {
            float scale = Get(prefix + "scale", 1)[0], zp = Get(prefix + "zero_point", 1)[0];
            if (!(scale > 0) || !float.IsFinite(scale) || zp != MathF.Round(zp) || zp < 0 || zp > 255)
                throw new NablaInputException($"{path}: '{prefix}scale' must be positive and '{prefix}zero_point' an integer in [0, 255], found {scale} and {zp}");
            return new QAct(scale, (int)zp);
        }
        var layers = new Dictionary<string, QLayerParams>(StringComparer.Ordinal);
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var (weight, outCh) = model.Layers[i] switch
            {
                Conv2d c => (c.Weight, c.OutChannels),
                Linear l => (l.Weight, l.OutFeatures),
                _ => (null, 0),
            };
            if (weight is null) continue;
            string name = i.ToString(CultureInfo.InvariantCulture);
            var w = Get(name + ".weight", weight.Numel);
            var q = new sbyte[w.Length];
            for (int j = 0; j < w.Length; j++)
            {
                if (w[j] != MathF.Round(w[j]) || w[j] < -127 || w[j] > 127)
                    throw new NablaInputException($"{path}: tensor '{name}.weight' holds {w[j]} at {j}; int8 codes are integers in [-127, 127]");
                q[j] = (sbyte)w[j];
            }
            var scale = Get(name + ".weight_scale", outCh);
            foreach (float s in scale)
                if (!(s > 0) || !float.IsFinite(s)) throw new NablaInputException($"{path}: tensor '{name}.weight_scale' holds {s}; scales must be positive");
            QAct? output = f.Contains(name + ".output_scale") ? Act(name + ".output_") : null;
            layers[name] = new QLayerParams(name, q, scale, Get(name + ".bias", outCh), output) { Shape = weight.Shape };
        }
        return new QuantParams(Act("input_"), layers);
    }
}
