using Nabla.Training;

namespace Nabla.Reporting;

/// <summary>The files of a run directory (the <c>--out</c> of nabla train), named in one place: what the trainer
/// writes and what nabla report and nabla eval read back.</summary>
/// <param name="Directory">The run directory.</param>
public sealed record RunDirectory(string Directory)
{
    /// <summary>The name of the class list, also looked for beside a weights file (<see cref="Holding"/>).</summary>
    public const string ClassesFileName = "classes.txt";

    /// <summary>metrics.csv: one <see cref="EpochMetrics"/> row a finished epoch (CONTRACTS §7).</summary>
    public string Metrics => In("metrics.csv");

    /// <summary>curves.svg: loss and accuracy against epoch, train and test.</summary>
    public string Curves => In("curves.svg");

    /// <summary>model.safetensors: the weights under PyTorch state-dict names.</summary>
    public string Model => In("model.safetensors");

    /// <summary>checkpoint.safetensors: weights, optimizer and RNG state, for <c>--resume</c>.</summary>
    public string Checkpoint => In("checkpoint.safetensors");

    /// <summary>report.html, self-contained (see <see cref="RunReport"/>).</summary>
    public string Report => In("report.html");

    /// <summary>steps.csv: one <see cref="StepMetrics"/> row a logging window.</summary>
    public string Steps => In("steps.csv");

    /// <summary>predictions.csv: the test set's predictions after the latest epoch.</summary>
    public string Predictions => In("predictions.csv");

    /// <summary>run.json: the options, data and timings of the run (<see cref="RunInfo"/>).</summary>
    public string Info => In("run.json");

    /// <summary>classes.txt: one class name a line, index = label; written when the data names its classes.</summary>
    public string Classes => In(ClassesFileName);

    /// <summary>data.json: the data flags of the run (<see cref="Data.DataConfig"/>).</summary>
    public string DataConfig => In(Data.DataConfig.FileName);

    /// <summary>The class names in <see cref="Classes"/> (its non-empty lines), or null when there is no such file.</summary>
    public string[]? ReadClassNames() => File.Exists(Classes) ? File.ReadAllLines(Classes).Where(l => l.Length > 0).ToArray() : null;

    /// <summary>The run directory a weights file lies in (its classes.txt names the classes nabla eval shows).</summary>
    /// <param name="weights">A path to a weights file, e.g. DIR/model.safetensors.</param>
    public static RunDirectory Holding(string weights) => new(Path.GetDirectoryName(Path.GetFullPath(weights)) ?? ".");

    private string In(string name) => Path.Combine(Directory, name);
}
