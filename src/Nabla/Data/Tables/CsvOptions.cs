namespace Nabla.Data.Tables;

/// <summary>How <see cref="CsvDataset"/> reads a table.</summary>
public sealed record CsvOptions
{
    /// <summary>The header name of the label column; null means the last column.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The fraction of rows held out as the test set (seeded permutation). Default 0.2.</summary>
    public double ValSplit { get; init; } = 0.2;

    /// <summary>The seed of the split.</summary>
    public ulong Seed { get; init; }

    /// <summary>Whether every feature is standardised with the training rows' mean and standard deviation
    /// (scikit-learn's StandardScaler fitted on the training split; a constant column is only centred). Default true.</summary>
    public bool Standardize { get; init; } = true;
}
