using System.Globalization;

namespace Nabla.Training;

/// <summary>One row of metrics.csv: epoch, train_loss, train_acc, test_loss, test_acc, seconds (cumulative).</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAcc, double TestLoss, double TestAcc, double Seconds)
{
    /// <summary>The CSV header of CONTRACTS §7.</summary>
    public const string CsvHeader = "epoch,train_loss,train_acc,test_loss,test_acc,seconds";

    /// <summary>The row as CSV (invariant culture, full float precision).</summary>
    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Epoch},{TrainLoss:R},{TrainAcc:R},{TestLoss:R},{TestAcc:R},{Seconds:F2}");

    /// <summary>Parses a row written by <see cref="ToCsv"/>.</summary>
    public static EpochMetrics Parse(string line)
    {
        var r = new CsvRow(line, "metrics", 6);
        return new EpochMetrics(r.Int(0), r.Double(1), r.Double(2), r.Double(3), r.Double(4), r.Double(5));
    }
}
