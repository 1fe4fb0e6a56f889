using System.Globalization;

namespace Nabla.Training;

/// <summary>One row of steps.csv: the mean training loss and accuracy over the last logging window of
/// optimizer steps (training mode, as the progress bar), with the learning rate and throughput of that window.</summary>
/// <param name="Step">Optimizer steps done so far (1-based, counted over the whole run).</param>
/// <param name="Epoch">The epoch (1-based) the window ends in.</param>
/// <param name="Loss">Mean cross-entropy over the window's samples.</param>
/// <param name="Accuracy">Fraction of the window's samples predicted right.</param>
/// <param name="LearningRate">The learning rate in force.</param>
/// <param name="ImagesPerSecond">Training throughput over the window.</param>
public sealed record StepMetrics(long Step, int Epoch, double Loss, double Accuracy, double LearningRate, double ImagesPerSecond)
{
    /// <summary>The CSV header of steps.csv.</summary>
    public const string CsvHeader = "step,epoch,loss,acc,lr,img_per_s";

    /// <summary>The row as CSV (invariant culture, full precision, so a resumed run's log equals an uninterrupted one's).</summary>
    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Step},{Epoch},{Loss:R},{Accuracy:R},{LearningRate:R},{ImagesPerSecond:F1}");

    /// <summary>Parses a row written by <see cref="ToCsv"/>.</summary>
    /// <exception cref="FormatException">Not six fields, or a field is not a number.</exception>
    public static StepMetrics Parse(string line)
    {
        var r = new CsvRow(line, "steps", 6);
        return new StepMetrics(r.Long(0), r.Int(1), r.Double(2), r.Double(3), r.Double(4), r.Double(5));
    }
}
