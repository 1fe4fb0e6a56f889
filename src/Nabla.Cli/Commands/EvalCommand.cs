using System.Globalization;
using Nabla.Data;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Kernels;
using Nabla.Ops;
using Nabla.Reporting;
using Nabla.Tensors;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>`nabla eval`: test accuracy, loss and confusion matrix of trained weights.</summary>
public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "test accuracy, loss and confusion matrix of trained weights";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Valued("model", "M", "zoo name, spec file or FILE.onnx (then --weights is optional)"),
        Flag.Valued("weights", "W", "safetensors with the model's state dict (e.g. runs/lenet5/model.safetensors)"),
        Flag.Valued("data", "D", "test set: mnist, fashion-mnist, an IDX directory, an image folder or a FILE.csv\n(default: the training run's, from data.json beside the weights, else mnist)"),
        Flag.Valued("threads", "T", "worker threads (default: all cores)"),
        Flag.Valued("min-accuracy", "A", "exit with code 1 when test accuracy (a fraction) is below A"),
        Flag.Valued("report", "FILE", "write an HTML report: confusion matrix, most confident mistakes, layers"),
        Int8Options.PrecisionFlag,
        Int8Options.CalibrationFlag,
        .. DataFlags.Flags,
    ];

    public string Notes => """
        usage: nabla eval --model M --weights W.safetensors [options]
        data flags not given are taken from data.json beside the weights (written by nabla train): --resize and
        --normalize (with the values training applied, auto ones included) always, --val-split and --label-column
        when --data is the run's own. classes.txt beside the weights names the classes.
        """;

    public int Run(Args args)
    {
        var spec = Zoo.Resolve(args.Required("model"));
        string? weights = spec.InitialWeights is null ? args.Required("weights") : args.String("weights");
        string? givenData = args.String("data");
        double min = args.Double("min-accuracy", 0, 0, 1);
        string? report = args.String("report");
        var given = DataFlags.Read(args, "eval");
        Workers.Count = args.Int("threads", Environment.ProcessorCount, 1, 1024);
        bool int8 = Int8Options.Int8(args, Name);
        int calibration = args.Int("calibration-batches", Nabla.Quantization.Calibration.DefaultBatches, 1, 100000);
        args.EnsureAllUsed();
        var saved = weights is null ? null : DataConfig.Beside(weights);
        var (data, flags) = given.WithDefaults(givenData, saved);
        if (saved is not null) Console.WriteLine($"data flags of {Path.Combine(Path.GetDirectoryName(weights!) ?? "", DataConfig.FileName)} (given ones override): {saved.Describe()}");

        // int8 calibrates on the training split of the data evaluated, read and normalised with the same flags
        // (loaded once, after the weights, so a bad weights file is reported before any data is read).
        var splits = new Lazy<DataSplits>(() => Int8Options.Data(spec, data, flags));
        Nabla.NN.Module model;
        if (int8) { model = Int8Options.Load(spec, weights, () => splits.Value, calibration); Int8Options.Notice(); }
        else
        {
            model = ModelFactory.Build(spec, new Rng(0), new Rng(0));
            if (weights is not null) TensorFiles.LoadInto(model, TensorFiles.Load(weights), weights);
        }
        var test = splits.Value.Test;
        var names = ClassNames.Resolve(test, weights ?? spec.Source);
        var (loss, acc, predictions) = Trainer.EvaluateWithPredictions(model, test, spec.IsFlatInput);
        var confusion = predictions.Confusion();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {acc:P2} ({acc * test.Count:F0}/{test.Count}), loss {loss:F4}"));
        Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
        int k = confusion.GetLength(0);
        Console.WriteLine("      " + string.Concat(Enumerable.Range(0, k).Select(j => $"{j,6}")) + (names is null ? "" : "  class"));
        for (int i = 0; i < k; i++)
            Console.WriteLine($"{i,6}" + string.Concat(Enumerable.Range(0, k).Select(j => $"{confusion[i, j],6}")) + (names is null ? "" : $"  {names[i]}"));
        if (report is not null) Console.WriteLine($"report: {EvalReport.Write(report, spec, weights ?? spec.Source, data, predictions, test)}");
        if (acc < min)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"nabla eval: accuracy {acc:F4} is below --min-accuracy {min}"));
            return 1;
        }
        return 0;
    }
}
