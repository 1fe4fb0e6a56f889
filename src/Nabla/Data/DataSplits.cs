namespace Nabla.Data;

/// <summary>A training set and a test set read together, with a description of where they came from.</summary>
/// <param name="Train">The training set (60,000 samples for MNIST).</param>
/// <param name="Test">The test set (10,000 samples for MNIST).</param>
/// <param name="Source">Where the files were read from, e.g. the cache directory or the --data directory.</param>
public sealed record DataSplits(Dataset Train, Dataset Test, string Source);
