namespace Nabla.Data;

/// <summary>One of the four IDX files of MNIST and its drop-in replacements (Fashion-MNIST, KMNIST): its standard
/// name, what it holds, and what MNIST's own copy holds, against which a download is verified.</summary>
/// <param name="Name">The standard file name, e.g. <c>train-images-idx3-ubyte</c>.</param>
/// <param name="Rank">The number of dimensions: 3 for images (N x H x W), 1 for labels (N).</param>
/// <param name="MnistCount">N in MNIST's copy: 60000 in the training files, 10000 in the test files.</param>
/// <param name="MnistSha256">The SHA-256 (lowercase hex) of MNIST's copy, uncompressed.</param>
public sealed record IdxFile(string Name, int Rank, int MnistCount, string MnistSha256)
{
    /// <summary>The four files, in the order train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<IdxFile> Standard { get; } =
    [
        new("train-images-idx3-ubyte", 3, 60000, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        new("train-labels-idx1-ubyte", 1, 60000, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        new("t10k-images-idx3-ubyte", 3, 10000, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        new("t10k-labels-idx1-ubyte", 1, 10000, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ];
}
