using Nabla.Data.Images;
using Nabla.Data.Tables;

namespace Nabla.Data;

/// <summary>
/// Resolves the <c>--data</c> option of <c>nabla train</c> and <c>nabla eval</c>: <c>mnist</c> (the default)
/// loads MNIST from the cache, fetching it on first use; <c>fashion-mnist</c> reads Debian's
/// dataset-fashion-mnist files; a <c>.csv</c> file is a table (<see cref="CsvDataset"/>); a directory is the four
/// IDX files when it holds them, otherwise an image folder (<see cref="ImageFolder"/>).
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
    public static DataSplits Load(string? data, Action<string>? log = null) => Load(data, null, log);

    /// <summary>Loads the training and test sets named by <paramref name="data"/>, reading image folders and
    /// tables as <paramref name="options"/> say.</summary>
    /// <param name="data">"mnist", "fashion-mnist", a .csv file, an IDX directory or an image folder.</param>
    /// <param name="options">The model's input, resizing, splits and label column; null for defaults.</param>
    /// <param name="log">Receives one-line progress messages; may be null.</param>
    /// <exception cref="NablaInputException">The data cannot be found, fetched or read; the message names the
    /// flag or file and what is wrong.</exception>
    public static DataSplits Load(string? data, DataOptions? options, Action<string>? log = null)
    {
        options ??= new DataOptions();
        if (string.IsNullOrEmpty(data) || string.Equals(data, Mnist, StringComparison.OrdinalIgnoreCase))
            return MnistFetcher.Load(log: log);
        if (string.Equals(data, FashionMnist.Name, StringComparison.OrdinalIgnoreCase))
            return FashionMnist.Load();
        if (data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            return CsvDataset.Load(data, new CsvOptions { LabelColumn = options.LabelColumn, ValSplit = options.ValSplit > 0 ? options.ValSplit : 0.2, Seed = options.Seed });
        if (!Directory.Exists(data))
            throw new NablaInputException($"--data {data}: expected 'mnist', 'fashion-mnist', a .csv file, a directory holding {string.Join(", ", IdxDirectory.FileNames)} (plain or .gz) or an image folder (DIR/train/<class>, DIR/test/<class>), found no such file or directory");
        bool idx = IdxDirectory.FileNames.Any(n => IdxDirectory.FindFile(data, n) is not null);
        if (idx || !ImageFolder.Looks(data)) return IdxDirectory.Load(data);
        int[]? input = options.Input is { Length: 3 } ? options.Input : null;
        var (h, w) = options.Resize ?? (input is null ? (0, 0) : (input[1], input[2]));
        return ImageFolder.Load(data, new ImageFolderOptions
        {
            Channels = input?[0] ?? 3,
            Height = h,
            Width = w,
            Resize = options.Resize is not null,
            ValSplit = options.ValSplit,
            Seed = options.Seed,
            Threads = options.Threads,
        }, log);
    }
}
