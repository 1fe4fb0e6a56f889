using Nabla.Analysis;
using Nabla.Data;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla export --fold-bn`: writes inference weights with every BatchNorm that follows a conv2d or linear
/// folded into it (<see cref="BatchNormFolding"/>). Names stay those of the original spec; the folded
/// BatchNorms' entries are dropped and each folded conv/linear carries a bias.
/// </summary>
public sealed class ExportCommand : ICommand
{
    private readonly TextWriter? _out;

    /// <summary>Writes to the console.</summary>
    public ExportCommand() { }

    /// <summary>Writes to <paramref name="output"/> (tests).</summary>
    internal ExportCommand(TextWriter output) => _out = output;

    public string Name => "export";
    public string Summary => "inference weights, with BatchNorm folded into the preceding conv/linear";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Valued("model", "M", "zoo name, spec file or FILE.onnx the weights belong to"),
        Flag.Valued("weights", "W", "the model's state dict (loaded strictly); optional for an .onnx --model (its initializers;\n"
            + "given, it replaces them by name)"),
        Flag.Switch("fold-bn", "fold each conv2d+batchnorm2d and linear+batchnorm1d pair (running statistics):\nW' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β"),
        Flag.Valued("out", "W2", "written atomically; same names as W for everything not folded, no entries for the\n"
            + "folded BatchNorms, a bias for every folded conv/linear. Load it with\n"
            + "'nabla grad --folded' or BatchNormFolding.Fold(ModelFactory.Build(spec)) (docs/porting.md).\n"
            + "Without --fold-bn, W is validated and rewritten as float32 under the same names."),
        Flag.Valued("format", "F", "safetensors (default) or onnx: an ONNX model (opset 17, input 'input' and output 'output'\n"
            + "with a dynamic batch axis 'batch', initializers named as the state dict) that ONNX Runtime\n"
            + "runs in evaluation mode; with --fold-bn the folded convs/linears carry the BatchNorms\n"
            + "(docs/onnx-export.md)."),
        Flag.Valued("quantize", "int8", "int8 post-training quantisation: per-output-channel symmetric weights, activation\n"
            + "ranges calibrated on training batches (--data and the data flags, default those of\n"
            + "data.json beside W, else mnist); written with the scales\n"
            + "(docs/performance.md). Use it with 'nabla eval/bench --precision int8'."),
        Flag.Valued("data", "D", "the training set --quantize calibrates on: mnist, fashion-mnist, a directory or a FILE.csv\n"
            + "(default: the training run's, from data.json beside W, else mnist; as for eval)"),
        Int8Options.CalibrationFlag,
        .. DataFlags.Flags,
    ];

    public string Notes => """
        usage: nabla export --model M --weights W.safetensors --fold-bn --out W2.safetensors
               nabla export --model M --weights W.safetensors [--fold-bn] --format onnx --out FILE.onnx
               nabla export --model M --weights W.safetensors --quantize int8 [--data D] [data flags] [--calibration-batches N] --out Q.safetensors
        """;

    public int Run(Args args)
    {
        var spec = Zoo.Resolve(args.Required("model"));
        string? weightsArg = spec.InitialWeights is not null ? args.String("weights") : args.Required("weights");
        string outPath = args.Required("out");
        bool fold = args.Flag("fold-bn");
        string format = args.Choice("format", "safetensors", "safetensors", "onnx");
        string? quantize = args.String("quantize");
        string? givenData = args.String("data");
        var given = DataFlags.Read(args, Name);
        int calibration = args.Int("calibration-batches", Nabla.Quantization.Calibration.DefaultBatches, 1, 100000);
        args.EnsureAllUsed();
        if (quantize is not null)
        {
            if (quantize != "int8") throw new UsageException($"nabla export: --quantize: expected int8, got '{quantize}'");
            if (format == "onnx") throw new UsageException("nabla export: --quantize int8 cannot be written as --format onnx yet (export the float model, or write Q.safetensors)");
            if (fold) throw new UsageException("nabla export: --quantize and --fold-bn cannot be combined (fold first, then quantize the folded model)");
            var (data, flags) = given.WithDefaults(givenData, weightsArg is null ? null : DataConfig.Beside(weightsArg));
            var q = Int8Options.Load(spec, weightsArg, () => Int8Options.Data(spec, data, flags), calibration);
            Nabla.Quantization.QuantizedFile.Save(outPath, q.Params, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["format"] = "nabla", ["spec"] = spec.Source, ["calibration_batches"] = calibration.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            (_out ?? Console.Out).WriteLine($"quantized {q.Params.Layers.Count} conv2d/linear layer(s) to int8 (calibrated on {calibration} batches of {Nabla.Quantization.Calibration.BatchSize}); wrote {outPath}");
            return 0;
        }

        if (format == "onnx") return OnnxExport.Run(spec, weightsArg, fold, outPath, _out ?? Console.Out);
        var model = ModelFactory.Build(spec, new Rng(0), new Rng(0));
        if (weightsArg is not null) TensorFiles.LoadInto(model, TensorFiles.Load(weightsArg), weightsArg);
        var folded = fold ? BatchNormFolding.FoldedNames(model) : [];
        var result = fold ? BatchNormFolding.Fold(model) : model;
        if (fold && spec.ParameterNames is not null) result.UseNames(spec.ParameterNames);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "nabla",
            ["spec"] = spec.Source,
            ["folded_batchnorm"] = string.Join(",", folded),
        };
        TensorFiles.Save(outPath, result.StateDict(), metadata);
        var w = _out ?? Console.Out;
        w.WriteLine(fold
            ? $"folded {folded.Count} BatchNorm layer(s){(folded.Count > 0 ? " (" + string.Join(", ", folded) + ")" : "")}; wrote {result.StateDict().Count} tensors to {outPath}"
            : $"wrote {result.StateDict().Count} tensors to {outPath} (no folding: --fold-bn not given)");
        return 0;
    }
}
