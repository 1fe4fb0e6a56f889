namespace Nabla.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al., 2017) as installed by Debian's package <c>dataset-fashion-mnist</c>: the four
/// gzip-compressed IDX files under <c>/usr/share/datasets/fashion-mnist</c>, 60,000 training and 10,000 test
/// 28x28 grayscale images of ten kinds of clothing.
/// </summary>
public static class FashionMnist
{
    /// <summary>The value of --data that selects Fashion-MNIST.</summary>
    public const string Name = "fashion-mnist";

    /// <summary>Where Debian's package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The environment variable that overrides <see cref="DefaultDirectory"/>.</summary>
    public const string DirectoryVariable = "NABLA_FASHION_MNIST";

    /// <summary>Fashion-MNIST's pixel mean after scaling to [0, 1] (over the training set).</summary>
    public const float Mean = 0.2860f;

    /// <summary>Fashion-MNIST's pixel standard deviation after scaling to [0, 1].</summary>
    public const float Std = 0.3530f;

    /// <summary>The class names, in label order, as torchvision's <c>FashionMNIST.classes</c>.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The one-line advice shown when the files are absent.</summary>
    public static string InstallAdvice => $"install them with 'sudo apt-get install dataset-fashion-mnist' (Debian/Ubuntu), set ${DirectoryVariable}, or pass --data DIR with the four IDX files";

    /// <summary>Loads Fashion-MNIST from <paramref name="directory"/> (default <c>$NABLA_FASHION_MNIST</c> or
    /// <see cref="DefaultDirectory"/>), normalised with its own mean and standard deviation, with class names.</summary>
    /// <exception cref="NablaInputException">The files are absent (the message says how to install them) or malformed.</exception>
    public static DataSplits Load(string? directory = null)
    {
        directory ??= Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } env ? env : DefaultDirectory;
        if (!Directory.Exists(directory) || IdxDirectory.FileNames.Any(n => IdxDirectory.FindFile(directory, n) is null))
            throw new NablaInputException($"--data {Name}: the Fashion-MNIST files are not in {directory}; {InstallAdvice}");
        var s = IdxDirectory.Load(directory);
        return new DataSplits(Named(s.Train), Named(s.Test), $"Fashion-MNIST ({directory})");
    }

    private static Dataset Named(Dataset d) => d.WithNormalization([Mean], [Std]).WithClassNames(ClassNames);
}
