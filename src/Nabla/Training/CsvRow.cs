using System.Globalization;

namespace Nabla.Training;

/// <summary>The fields of one row of metrics.csv or steps.csv (<see cref="EpochMetrics"/>, <see cref="StepMetrics"/>):
/// comma-separated, invariant culture.</summary>
internal readonly struct CsvRow
{
    private readonly string[] _fields;

    /// <summary>Splits <paramref name="line"/> into <paramref name="count"/> fields.</summary>
    /// <param name="file">What the row is of, for the message (<c>metrics</c>, <c>steps</c>).</param>
    /// <exception cref="FormatException">Not <paramref name="count"/> fields.</exception>
    public CsvRow(string line, string file, int count)
    {
        _fields = line.Split(',');
        if (_fields.Length != count) throw new FormatException($"{file} row has {_fields.Length} fields, expected {count}: '{line}'");
    }

    /// <summary>Field <paramref name="i"/> as a double.</summary>
    public double Double(int i) => double.Parse(_fields[i], CultureInfo.InvariantCulture);

    /// <summary>Field <paramref name="i"/> as an int.</summary>
    public int Int(int i) => int.Parse(_fields[i], CultureInfo.InvariantCulture);

    /// <summary>Field <paramref name="i"/> as a long.</summary>
    public long Long(int i) => long.Parse(_fields[i], CultureInfo.InvariantCulture);
}
