namespace Nabla.Data;

/// <summary>
/// A labelled image dataset held as raw pixel bytes (N x C x H x W, C = 1) with integer labels, handed out
/// as normalised float32: <c>x = (pixel / 255 - Mean) / Std</c>, computed in float32 exactly as
/// torchvision's <c>ToTensor()</c> followed by <c>Normalize((0.1307,), (0.3081,))</c>.
/// </summary>
/// <remarks>
/// Pixels stay bytes (47 MB for MNIST's training set instead of 188 MB of floats); a 256-entry table
/// turns them into floats when a batch is gathered. Instances are immutable; <see cref="Subset"/> and
/// <see cref="WithRandomLabels"/> return new datasets.
/// </remarks>
public sealed class Dataset
{
    /// <summary>MNIST's pixel mean after scaling to [0, 1].</summary>
    public const float MnistMean = 0.1307f;

    /// <summary>MNIST's pixel standard deviation after scaling to [0, 1].</summary>
    public const float MnistStd = 0.3081f;

    /// <summary>The number of classes of MNIST and its drop-in replacements.</summary>
    public const int DefaultClasses = 10;

    private readonly byte[] _pixels;
    private readonly int[] _labels;
    private readonly float[] _table = new float[256];

    /// <summary>Creates a dataset from raw pixels and labels.</summary>
    /// <param name="pixels">N x C x H x W bytes, row-major (kept by reference, not copied).</param>
    /// <param name="labels">N labels, each in [0, <paramref name="classes"/>) (kept by reference).</param>
    /// <param name="channels">C (1 for MNIST).</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classes">The number of classes; default 10.</param>
    /// <param name="mean">Normalisation mean (on pixel / 255); default MNIST's 0.1307.</param>
    /// <param name="std">Normalisation standard deviation; default MNIST's 0.3081.</param>
    /// <param name="name">A description for messages, e.g. the file it came from.</param>
    /// <exception cref="ArgumentException">Sizes do not match, a label is out of range, or std is not positive.</exception>
    public Dataset(byte[] pixels, int[] labels, int channels, int height, int width,
                   int classes = DefaultClasses, float mean = MnistMean, float std = MnistStd, string name = "dataset")
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (!(std > 0) || !float.IsFinite(mean)) throw new ArgumentException($"std must be positive and mean finite, found mean {mean}, std {std}");
        long sample = (long)channels * height * width;
        if (pixels.LongLength != sample * labels.LongLength)
            throw new ArgumentException($"{labels.Length} labels x {channels}x{height}x{width} = {sample * labels.LongLength} pixels expected, found {pixels.Length}", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"label {i} is {labels[i]}, outside [0, {classes})", nameof(labels));
        _pixels = pixels;
        _labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        Mean = mean;
        Std = std;
        Name = name;
        for (int p = 0; p < 256; p++) _table[p] = ((float)p / 255f - mean) / std;
    }

    /// <summary>N, the number of samples.</summary>
    public int Count => _labels.Length;

    /// <summary>C, channels per image (1 for MNIST).</summary>
    public int Channels { get; }

    /// <summary>H, image height (28 for MNIST).</summary>
    public int Height { get; }

    /// <summary>W, image width (28 for MNIST).</summary>
    public int Width { get; }

    /// <summary>C x H x W, the floats per sample.</summary>
    public int SampleSize => Channels * Height * Width;

    /// <summary>The number of classes; labels lie in [0, Classes).</summary>
    public int Classes { get; }

    /// <summary>The normalisation mean.</summary>
    public float Mean { get; }

    /// <summary>The normalisation standard deviation.</summary>
    public float Std { get; }

    /// <summary>A description for messages.</summary>
    public string Name { get; }

    /// <summary>The raw pixels, N x C x H x W bytes.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The labels, N ints.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The normalised value of a pixel byte: <c>(p / 255 - Mean) / Std</c> in float32.</summary>
    public float Normalize(byte pixel) => _table[pixel];

    /// <summary>The normalised value of a background (zero) pixel, used to fill shifted-in borders.</summary>
    public float Background => _table[0];

    /// <summary>Writes sample <paramref name="index"/>, normalised, into <paramref name="image"/>.</summary>
    /// <param name="index">Sample index in [0, Count).</param>
    /// <param name="image">Destination of at least <see cref="SampleSize"/> floats (C x H x W).</param>
    /// <returns>The label of the sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range or the span too short.</exception>
    public int CopySample(int index, Span<float> image)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"expected [0, {Count})");
        int size = SampleSize;
        if (image.Length < size) throw new ArgumentOutOfRangeException(nameof(image), image.Length, $"expected at least {size} floats");
        ReadOnlySpan<byte> src = _pixels.AsSpan(index * size, size); // fits: the constructor bounded N x size by the array length
        float[] table = _table;
        for (int i = 0; i < src.Length; i++) image[i] = table[src[i]];
        return _labels[index];
    }

    /// <summary>Gathers the samples at <paramref name="indices"/> into a batch (no augmentation).</summary>
    /// <param name="indices">B sample indices.</param>
    /// <param name="images">Destination, at least B x C x H x W floats.</param>
    /// <param name="labels">Destination, at least B ints.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range or a destination too short.</exception>
    public void Gather(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        int size = SampleSize;
        if (images.Length < (long)indices.Length * size) throw new ArgumentOutOfRangeException(nameof(images), images.Length, $"expected at least {indices.Length} x {size} floats");
        if (labels.Length < indices.Length) throw new ArgumentOutOfRangeException(nameof(labels), labels.Length, $"expected at least {indices.Length} ints");
        for (int b = 0; b < indices.Length; b++) labels[b] = CopySample(indices[b], images.Slice(b * size, size));
    }

    /// <summary>The first <paramref name="n"/> samples, like <c>torch.utils.data.Subset(ds, range(n))</c>.</summary>
    /// <param name="n">How many samples to keep, 1 to Count.</param>
    /// <returns>A new dataset sharing nothing mutable with this one.</returns>
    /// <exception cref="ArgumentOutOfRangeException">n is not in [1, Count].</exception>
    public Dataset Subset(int n)
    {
        if (n < 1 || n > Count) throw new ArgumentOutOfRangeException(nameof(n), n, $"subset size must be in [1, {Count}]");
        return new Dataset(_pixels[..(n * SampleSize)], _labels[..n], Channels, Height, Width, Classes, Mean, Std, $"{Name}[:{n}]");
    }

    /// <summary>
    /// The same images with every label replaced by a seeded uniform draw from the <see cref="Classes"/>
    /// classes (the random-label memorisation experiment of Zhang et al., 2017).
    /// </summary>
    /// <remarks>The label of sample i is a pure function of (seed, i), so <c>Subset(n).WithRandomLabels(s)</c>
    /// equals <c>WithRandomLabels(s).Subset(n)</c>.</remarks>
    /// <param name="seed">The seed.</param>
    /// <returns>A new dataset.</returns>
    public Dataset WithRandomLabels(ulong seed)
    {
        var labels = new int[Count];
        for (int i = 0; i < labels.Length; i++)
        {
            var rng = DataRng.Create(seed, DataRng.LabelStream, (ulong)i);
            labels[i] = rng.NextInt(Classes);
        }
        return new Dataset(_pixels, labels, Channels, Height, Width, Classes, Mean, Std, $"{Name} (random labels, seed {seed})");
    }
}
