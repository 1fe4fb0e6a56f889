namespace Nabla.Data;

/// <summary>
/// Resolves the <c>--data</c> option of <c>nabla train</c> and <c>nabla eval</c>: <c>mnist</c> (the default)
/// loads MNIST from the cache, fetching it on first use; anything else is a directory of four IDX files.
/// </summary>
public static class DataSource
{
    /// <summary>The value of --data that selects MNIST.</summary>
    public const string Mnist = "mnist";

    /// <summary>Loads the training and test sets named by <paramref name="data"/>.</summary>
    /// <param name="data">"mnist" (case-insensitive; also when null or empty) or a directory holding
    /// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
    /// (each plain or .gz).</param>
    /// <param name="log">Receives one-line progress messages (only when MNIST is fetched); may be null.</param>
    /// <returns>The training and test sets, normalised with MNIST's mean 0.1307 and std 0.3081.</returns>
    /// <exception cref="NablaInputException">The data cannot be fetched or read; the message names the flag
    /// or file and what is wrong.</exception>
    public static DataSplits Load(string? data, Action<string>? log = null)
    {
        if (string.IsNullOrEmpty(data) || string.Equals(data, Mnist, StringComparison.OrdinalIgnoreCase))
            return MnistFetcher.Load(log: log);
        if (!Directory.Exists(data))
            throw new NablaInputException($"--data {data}: expected 'mnist' or a directory holding {string.Join(", ", IdxDirectory.FileNames)} (plain or .gz), found no such directory");
        return IdxDirectory.Load(data);
    }
}
