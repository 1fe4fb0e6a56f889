using System.Globalization;
using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla grad`: one forward and backward pass on a given batch, every result dumped to safetensors
/// (CONTRACTS §3) so it can be compared with PyTorch tensor by tensor.
/// </summary>
public sealed class GradCommand : ICommand
{
    private readonly TextWriter? _out;

    /// <summary>Writes to the console.</summary>
    public GradCommand() { }

    /// <summary>Writes to <paramref name="output"/> (tests).</summary>
    internal GradCommand(TextWriter output) => _out = output;

    public string Name => "grad";
    public string Summary => "one forward+backward on a batch, output/loss/gradients dumped to safetensors";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Valued("model", "M", "zoo name, spec file or FILE.onnx (then --weights is optional; given, it replaces the file's weights, strictly)"),
        Flag.Valued("weights", "W", "the model's state dict (names as PyTorch's state_dict, CONTRACTS §2); loaded strictly"),
        Flag.Valued("batch", "B", "tensors 'input' (N x C x H x W float32, or N x F for a flat input) and 'target' (N int64 class indices)"),
        Flag.Valued("out", "O", "written atomically: 'output' (logits), 'loss' (scalar, cross-entropy mean over the batch),\n'grad.input', and 'grad.<name>' for every trainable parameter"),
        Flag.Switch("train", "training mode: BatchNorm on batch statistics and dropout active (dropout makes the\nresult random: seeded by --seed, but not PyTorch's masks); default evaluation mode"),
        Flag.Valued("seed", "S", "seed of the dropout masks in --train (default 0)"),
        Flag.Switch("folded", "W was written by 'nabla export --fold-bn': build the folded model (docs/porting.md)"),
    ];

    public string Notes => "usage: nabla grad --model M --weights W.safetensors --batch B.safetensors --out O.safetensors [--train] [--seed S] [--folded]";

    public int Run(Args args)
    {
        var spec = Zoo.Resolve(args.Required("model"));
        string? weights = spec.InitialWeights is null ? args.Required("weights") : args.String("weights");
        string batch = args.Required("batch");
        string outPath = args.Required("out");
        bool train = args.Flag("train");
        bool folded = args.Flag("folded");
        int seed = args.Int("seed", 0, 0);
        args.EnsureAllUsed();

        var result = Compute(spec, weights is null ? spec.InitialWeights! : TensorFiles.Load(weights), weights ?? spec.Source, SafeTensorsFile.Read(batch), train, folded, (ulong)seed);
        TensorFiles.Save(outPath, result);
        var w = _out ?? Console.Out;
        float loss = result.First(r => r.Name == "loss").Tensor.Item();
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(train ? "train" : "eval")} mode, batch {result[0].Tensor.Shape[0]}: loss {loss:R}; wrote {result.Count} tensors to {outPath}"));
        return 0;
    }

    /// <summary>The computation behind the command: builds the model, loads <paramref name="weights"/> strictly,
    /// validates the batch, runs forward, cross-entropy (mean) and backward.</summary>
    /// <param name="spec">The model.</param>
    /// <param name="weights">State dict by name.</param>
    /// <param name="weightsSource">The weights' file name, for messages.</param>
    /// <param name="batch">The batch file (its <see cref="SafeTensorsFile.SourceName"/> appears in messages).</param>
    /// <param name="train">Training mode instead of evaluation mode.</param>
    /// <param name="folded">Build the BatchNorm-folded model (weights from <c>nabla export --fold-bn</c>).</param>
    /// <param name="seed">Seed of the dropout generator.</param>
    /// <returns><c>output</c>, <c>loss</c>, <c>grad.input</c>, then <c>grad.&lt;name&gt;</c> in parameter order.</returns>
    /// <exception cref="NablaInputException">Weights that do not fit the model, or a batch that does not fit it.</exception>
    public static IReadOnlyList<(string Name, Tensor Tensor)> Compute(ModelSpec spec, IReadOnlyDictionary<string, Tensor> weights,
        string weightsSource, SafeTensorsFile batch, bool train, bool folded = false, ulong seed = 0)
    {
        var summary = ModelAnalyzer.Analyze(spec);
        if (summary.OutputShape.Count != 1)
            throw new NablaInputException($"{spec.Source}: the model's output is {string.Join("x", summary.OutputShape)} per sample; cross-entropy needs class scores (end with flatten and linear)");
        int classes = summary.OutputShape[0];
        var (input, targets) = ReadBatch(batch, spec.Input, classes);

        Sequential model = ModelFactory.Build(spec, new Rng(0), new Rng(seed));
        if (folded)
        {
            model = BatchNormFolding.Fold(model);
            if (spec.ParameterNames is not null) model.UseNames(spec.ParameterNames);
        }
        TensorFiles.LoadInto(model, weights, weightsSource);
        model.Train(train);

        input.RequiresGrad = true;
        model.ZeroGrad();
        var output = model.Forward(input);
        var loss = F.CrossEntropy(output, targets);
        loss.Backward();

        var result = new List<(string, Tensor)>
        {
            ("output", output.Detach()),
            ("loss", loss.Detach()),
            ("grad.input", input.Grad ?? Tensor.Zeros(input.Shape)),
        };
        foreach (var (name, p) in model.NamedParameters())
            result.Add(("grad." + name, p.Grad ?? Tensor.Zeros(p.Shape)));
        return result;
    }

    private static (Tensor Input, int[] Targets) ReadBatch(SafeTensorsFile batch, IReadOnlyList<int> sample, int classes)
    {
        string src = batch.SourceName;
        var x = batch["input"];
        string expected = "[N, " + string.Join(", ", sample) + "]";
        if (x.Float is null)
            throw new NablaInputException($"{src}: tensor 'input' is {x.DType}, expected F32 (or F64) of shape {expected}");
        if (x.Shape.Length != sample.Count + 1 || x.Shape[0] == 0 || !x.Shape.AsSpan(1).SequenceEqual(sample.ToArray()))
            throw new NablaInputException($"{src}: tensor 'input' has shape [{string.Join(", ", x.Shape)}], expected {expected} (the model's input, N ≥ 1)");
        int n = x.Shape[0];
        var t = batch["target"];
        if (t.Int64 is not { } labels)
            throw new NablaInputException($"{src}: tensor 'target' is {t.DType}, expected I64 class indices of shape [{n}]");
        if (t.Shape.Length != 1 || t.Shape[0] != n)
            throw new NablaInputException($"{src}: tensor 'target' has shape [{string.Join(", ", t.Shape)}], expected [{n}] (one class index per input)");
        var targets = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes)
                throw new NablaInputException($"{src}: tensor 'target'[{i}] is {labels[i]}, expected a class index in [0, {classes - 1}] (the model has {classes} outputs)");
            targets[i] = (int)labels[i];
        }
        return (new Tensor((float[])x.Float.Clone(), x.Shape), targets);
    }
}
