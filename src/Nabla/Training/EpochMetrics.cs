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
        var p = line.Split(',');
        if (p.Length != 6) throw new FormatException($"metrics row has {p.Length} fields, expected 6: '{line}'");
        double D(int i) => double.Parse(p[i], CultureInfo.InvariantCulture);
        return new EpochMetrics(int.Parse(p[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5));
    }
}
