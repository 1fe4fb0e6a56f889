using Nabla.Autograd;

namespace Nabla.Training;

/// <summary>Training produced a non-finite loss or gradient. The message names the epoch, batch and step, and
/// the last good checkpoint (which is left untouched), and suggests a lower learning rate, naming the option as
/// <see cref="MessageFor"/>'s caller does (the library: <c>TrainOptions.Lr</c>; the CLI: <c>--lr</c>).</summary>
public sealed class TrainingDivergedException : Exception
{
    private readonly string _text; // the message up to the suggestion

    /// <summary>A non-finite <paramref name="what"/> (<c>loss</c>, <c>gradient of 0.weight</c>) of value <paramref name="value"/>.</summary>
    public TrainingDivergedException(int epoch, int batch, long step, string what, float value, string? lastCheckpoint)
        : this(epoch, batch, step, $"{what} is {value}", lastCheckpoint, null) { }

    /// <summary>An op that <see cref="GradMode.DetectAnomaly"/> caught making a non-finite value.</summary>
    public TrainingDivergedException(int epoch, int batch, long step, AnomalyException anomaly, string? lastCheckpoint)
        : this(epoch, batch, step, anomaly.Message, lastCheckpoint, anomaly) { }

    private TrainingDivergedException(int epoch, int batch, long step, string problem, string? lastCheckpoint, AnomalyException? anomaly)
        : this($"training diverged at epoch {epoch}, batch {batch} (step {step}): {problem}" +
            (lastCheckpoint is null ? "; no checkpoint was written yet" : $"; the last good checkpoint is {lastCheckpoint}"), step, anomaly) { }

    private TrainingDivergedException(string text, long step, AnomalyException? anomaly)
        : base(Suggest(text, InvalidTrainOptionException.LibraryName), anomaly)
    {
        _text = text;
        Step = step;
    }

    /// <summary>The optimizer step (1-based) whose loss or gradient was non-finite.</summary>
    public long Step { get; }

    /// <summary>The op that made the non-finite value, when <see cref="GradMode.DetectAnomaly"/> caught it; else null.</summary>
    public AnomalyException? Anomaly => InnerException as AnomalyException;

    /// <summary>The message with the learning-rate option named by <paramref name="optionName"/> (given
    /// <c>nameof(TrainOptions.Lr)</c>).</summary>
    public string MessageFor(Func<string, string> optionName) => Suggest(_text, optionName);

    private static string Suggest(string text, Func<string, string> optionName) => $"{text} (try a lower {optionName(nameof(TrainOptions.Lr))})";
}
