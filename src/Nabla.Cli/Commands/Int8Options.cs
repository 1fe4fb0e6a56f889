using Nabla.Data;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Kernels.Quant;
using Nabla.NN;
using Nabla.Quantization;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>The CLI side of int8 inference: `--precision fp32|int8` and `--calibration-batches N`, and building the
/// int8 model from an int8 file or, from FP32 weights, by calibrating on training batches.</summary>
internal static class Int8Options
{
    public static readonly Flag PrecisionFlag =
        Flag.Valued("precision", "P", "fp32 (default) or int8: int8 inference through the VNNI GEMM, or its exact AVX2 emulation (docs/performance.md)");
    public static readonly Flag CalibrationFlag =
        Flag.Valued("calibration-batches", "N", "int8 from FP32 weights: calibrate activation ranges on N training batches of 64 (default 10)");

    /// <summary>True for `--precision int8`, false for fp32 (the default).</summary>
    /// <exception cref="UsageException">Any other value.</exception>
    public static bool Int8(Args args, string command)
    {
        string p = args.String("precision", "fp32")!;
        return p switch
        {
            "fp32" => false,
            "int8" => true,
            _ => throw new UsageException($"nabla {command}: --precision: expected fp32 or int8, got '{p}'"),
        };
    }

    /// <summary>The one-line notice printed when the CPU lacks AVX-VNNI: the exact AVX2 emulation of its multiply-adds
    /// runs instead, or, without AVX2, the exact scalar loop.</summary>
    public static void Notice()
    {
        if (QGemm.HasVnni) return;
        Console.Error.WriteLine(QGemm.IsAccelerated
            ? "notice: this CPU has no AVX-VNNI; int8 runs an exact AVX2 emulation of its multiply-adds (the same results, fewer per cycle)"
            : "notice: this CPU has no AVX2; int8 runs the exact scalar GEMM (correct, but slower than fp32)");
    }

    /// <summary>The int8 model: read from <paramref name="weights"/> when it is an int8 file, else quantised from those
    /// FP32 weights with <paramref name="batches"/> calibration batches from <paramref name="calibration"/>'s training
    /// set (null <paramref name="weights"/>: the weights an imported model came with).</summary>
    /// <param name="calibration">The data to calibrate on, loaded (only when needed) with the same data flags as
    /// the data the model will see: resized and normalised as eval's test split.</param>
    public static QuantizedModel Load(ModelSpec spec, string? weights, Func<DataSplits> calibration, int batches)
    {
        var model = ModelFactory.Build(spec, new Rng(0), new Rng(0));
        if (weights is not null && QuantizedFile.IsQuantized(weights))
            return QuantizedModel.Build(model, QuantizedFile.Load(weights, model), spec.Input.ToArray());
        if (weights is not null) TensorFiles.LoadInto(model, TensorFiles.Load(weights), weights);
        return QuantizedModel.Quantize(model, Calibration.Batches(calibration().Train, batches, spec.IsFlatInput));
    }

    /// <summary>The splits of <paramref name="data"/> read with <paramref name="flags"/> for <paramref name="spec"/>'s
    /// input, normalised as the flags say: what eval evaluates and int8 calibrates on.</summary>
    public static DataSplits Data(ModelSpec spec, string data, DataFlags flags)
    {
        var splits = DataSource.Load(data, flags.Options with { Input = spec.Input.ToArray() });
        return flags.Normalize is null ? splits : flags.Normalize.Apply(splits);
    }
}
