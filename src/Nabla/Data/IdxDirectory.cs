namespace Nabla.Data;

/// <summary>
/// Reads a directory holding the four IDX files of MNIST or a drop-in replacement (Fashion-MNIST, KMNIST):
/// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each
/// plain or with a <c>.gz</c> suffix (the dotted spelling <c>train-images.idx3-ubyte</c> is accepted too).
/// </summary>
public static class IdxDirectory
{
    /// <summary>The four standard file names (of <see cref="IdxFile.Standard"/>), in the order train images, train
    /// labels, test images, test labels.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [.. IdxFile.Standard.Select(f => f.Name)];

    /// <summary>The path of the file called <paramref name="name"/> (or <c>name.gz</c>, or its dotted spelling)
    /// in <paramref name="directory"/>, or null when there is none.</summary>
    public static string? FindFile(string directory, string name)
    {
        int dash = name.LastIndexOf("-idx", StringComparison.Ordinal);
        string dotted = dash < 0 ? name : name[..dash] + "." + name[(dash + 1)..];
        foreach (string candidate in new[] { name, name + ".gz", dotted, dotted + ".gz" })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>Reads and cross-checks the four files of <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="expectedSha256">When given, the SHA-256 (lowercase hex, of the decompressed content) each
    /// file name must have; null for datasets other than MNIST.</param>
    /// <param name="classes">Labels must lie in [0, classes); default 10.</param>
    /// <returns>The training and test sets, normalised with MNIST's mean and standard deviation.</returns>
    /// <exception cref="NablaInputException">The directory or a file is missing, a file is malformed, image and
    /// label counts differ, train and test image sizes differ, a label is out of range, or a checksum differs.</exception>
    public static DataSplits Load(string directory, IReadOnlyDictionary<string, string>? expectedSha256 = null, int classes = Dataset.DefaultClasses)
    {
        if (!Directory.Exists(directory))
            throw new NablaInputException($"{directory}: expected a directory holding {string.Join(", ", FileNames)} (plain or .gz), found no such directory");
        var paths = new string[4];
        for (int i = 0; i < 4; i++)
            paths[i] = FindFile(directory, FileNames[i])
                ?? throw new NablaInputException($"{directory}: expected {FileNames[i]} (or {FileNames[i]}.gz), found no such file; the directory must hold {string.Join(", ", FileNames)}");
        var idx = new IdxData[4];
        for (int i = 0; i < 4; i++)
        {
            idx[i] = IdxReader.Read(paths[i], IdxFile.Standard[i].Rank);
            if (expectedSha256 is not null && expectedSha256.TryGetValue(FileNames[i], out string? sha) && sha != idx[i].Sha256)
                throw new NablaInputException($"{paths[i]}: expected SHA-256 {sha}, found {idx[i].Sha256}");
        }
        if (idx[0].Shape[1] != idx[2].Shape[1] || idx[0].Shape[2] != idx[2].Shape[2])
            throw new NablaInputException($"{paths[2]}: byte offset 8: expected {idx[0].Shape[1]}x{idx[0].Shape[2]} images like {paths[0]}, found {idx[2].Shape[1]}x{idx[2].Shape[2]}");
        var train = Build(idx[0], idx[1], classes);
        var test = Build(idx[2], idx[3], classes);
        return new DataSplits(train, test, directory);
    }

    private static Dataset Build(IdxData images, IdxData labels, int classes)
    {
        if (images.Shape[0] != labels.Shape[0])
            throw new NablaInputException($"{labels.Source}: byte offset 4: expected {images.Shape[0]} labels to match the images of {images.Source}, found {labels.Shape[0]}");
        var y = new int[labels.Shape[0]];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = labels.Data[i];
            if (y[i] >= classes)
                throw new NablaInputException($"{labels.Source}: byte offset {labels.HeaderLength + i}: expected a label in [0, {classes - 1}], found {y[i]}");
        }
        return new Dataset(images.Data, y, 1, images.Shape[1], images.Shape[2], classes, name: images.Source);
    }
}
