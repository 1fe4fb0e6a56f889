namespace Nabla.Data;

/// <summary>
/// A labelled dataset held as raw pixel bytes (N x C x H x W) with integer labels, handed out as normalised
/// float32: <c>x = (pixel / 255 - Mean[c]) / Std[c]</c>, computed in float32 exactly as torchvision's
/// <c>ToTensor()</c> followed by <c>Normalize(mean, std)</c>; or, for tables (<see cref="FromFeatures"/>),
/// as float32 feature vectors handed out unchanged.
/// </summary>
/// <remarks>
/// Pixels stay bytes (47 MB for MNIST's training set instead of 188 MB of floats); a 256-entry table per
/// channel turns them into floats when a batch is gathered. Instances are immutable; <see cref="Subset"/>,
/// <see cref="WithRandomLabels"/>, <see cref="WithNormalization"/> and <see cref="Select"/> return new datasets.
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
    private readonly float[]? _features;
    private readonly int[] _labels;
    private readonly float[] _table;
    private readonly float[] _mean, _std;

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
        : this(pixels, null, labels, channels, height, width, classes, Repeat(mean, channels), Repeat(std, channels), name, null)
    {
    }

    /// <summary>Creates a dataset from raw pixels and labels with a mean and standard deviation per channel
    /// and, optionally, class names.</summary>
    /// <param name="pixels">N x C x H x W bytes, row-major (kept by reference, not copied).</param>
    /// <param name="labels">N labels, each in [0, <paramref name="classes"/>) (kept by reference).</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="mean">C normalisation means (on pixel / 255), e.g. 0 for none.</param>
    /// <param name="std">C positive normalisation standard deviations, e.g. 1 for none.</param>
    /// <param name="name">A description for messages.</param>
    /// <param name="classNames">The name of each class (e.g. the folder names of an image folder), or null.</param>
    /// <exception cref="ArgumentException">Sizes do not match, a label is out of range, or a std is not positive.</exception>
    public Dataset(byte[] pixels, int[] labels, int channels, int height, int width, int classes,
                   ReadOnlySpan<float> mean, ReadOnlySpan<float> std, string name, IReadOnlyList<string>? classNames = null)
        : this(pixels, null, labels, channels, height, width, classes, mean.ToArray(), std.ToArray(), name, classNames)
    {
    }

    private Dataset(byte[] pixels, float[]? features, int[] labels, int channels, int height, int width, int classes,
                    float[] mean, float[] std, string name, IReadOnlyList<string>? classNames)
    {
        _pixels = Require.NotNull(pixels);
        _labels = Require.NotNull(labels);
        Channels = Require.AtLeast(channels, 1);
        Height = Require.AtLeast(height, 1);
        Width = Require.AtLeast(width, 1);
        Classes = Require.AtLeast(classes, 1);
        if (mean.Length != channels || std.Length != channels)
            throw new ArgumentException($"expected {channels} means and standard deviations, found {mean.Length} and {std.Length}");
        for (int c = 0; c < channels; c++)
            if (!(std[c] > 0) || !float.IsFinite(std[c]) || !float.IsFinite(mean[c])) throw new ArgumentException($"std must be positive and mean finite, found mean {mean[c]}, std {std[c]} (channel {c})");
        if (classNames is not null && classNames.Count != classes)
            throw new ArgumentException($"expected {classes} class names, found {classNames.Count}", nameof(classNames));
        long sample = (long)channels * height * width;
        long stored = features?.LongLength ?? pixels.LongLength;
        if (stored != sample * labels.LongLength)
            throw new ArgumentException($"{labels.Length} labels x {channels}x{height}x{width} = {sample * labels.LongLength} values expected, found {stored}", features is null ? nameof(pixels) : "features");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"label {i} is {labels[i]}, outside [0, {classes})", nameof(labels));
        _features = features;
        _mean = mean;
        _std = std;
        Name = name;
        ClassNames = classNames;
        _table = new float[256 * channels];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < 256; p++) _table[c * 256 + p] = ((float)p / 255f - mean[c]) / std[c];
    }

    /// <summary>A dataset of feature vectors (a table): N x F float32 values handed out unchanged, with
    /// <see cref="Channels"/> = F and <see cref="Height"/> = <see cref="Width"/> = 1.</summary>
    /// <param name="features">N x F values, row-major (kept by reference).</param>
    /// <param name="labels">N labels in [0, <paramref name="classes"/>) (kept by reference).</param>
    /// <param name="featureCount">F.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="name">A description for messages.</param>
    /// <param name="classNames">The name of each class, or null.</param>
    /// <exception cref="ArgumentException">Sizes do not match or a label is out of range.</exception>
    public static Dataset FromFeatures(float[] features, int[] labels, int featureCount, int classes, string name, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        return new Dataset([], features, labels, featureCount, 1, 1, classes, Repeat(0f, featureCount), Repeat(1f, featureCount), name, classNames);
    }

    private static float[] Repeat(float v, int n)
    {
        Require.AtLeast(n, 1, "channels");
        var a = new float[n];
        Array.Fill(a, v);
        return a;
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

    /// <summary>The normalisation mean of channel 0 (the only one of MNIST).</summary>
    public float Mean => _mean[0];

    /// <summary>The normalisation standard deviation of channel 0.</summary>
    public float Std => _std[0];

    /// <summary>The normalisation mean of each channel (on pixel / 255).</summary>
    public IReadOnlyList<float> Means => _mean;

    /// <summary>The normalisation standard deviation of each channel.</summary>
    public IReadOnlyList<float> Stds => _std;

    /// <summary>The class names (folder names, CSV labels, Fashion-MNIST's names), or null when classes are
    /// only numbers.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Whether the samples are feature vectors (<see cref="FromFeatures"/>) rather than pixel bytes.</summary>
    public bool IsTable => _features is not null;

    /// <summary>A description for messages.</summary>
    public string Name { get; }

    /// <summary>The raw pixels, N x C x H x W bytes (empty for a table).</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The labels, N ints.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The normalised value of a pixel byte of channel 0: <c>(p / 255 - Mean) / Std</c> in float32.</summary>
    public float Normalize(byte pixel) => _table[pixel];

    /// <summary>The normalised value of a pixel byte of channel <paramref name="channel"/>.</summary>
    public float Normalize(byte pixel, int channel) => _table[channel * 256 + pixel];

    /// <summary>The normalised value of a background (zero) pixel of channel 0, used to fill shifted-in borders.</summary>
    public float Background => _table[0];

    /// <summary>The normalised value of a background (zero) pixel of each channel (0 for a table).</summary>
    public float[] Backgrounds()
    {
        var b = new float[Channels];
        if (_features is null) for (int c = 0; c < b.Length; c++) b[c] = _table[c * 256];
        return b;
    }

    /// <summary>Writes sample <paramref name="index"/>, normalised, into <paramref name="image"/>.</summary>
    /// <param name="index">Sample index in [0, Count).</param>
    /// <param name="image">Destination of at least <see cref="SampleSize"/> floats (C x H x W).</param>
    /// <returns>The label of the sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range or the span too short.</exception>
    public int CopySample(int index, Span<float> image)
    {
        Require.Index(index, Count);
        int size = SampleSize;
        if (image.Length < size) throw new ArgumentOutOfRangeException(nameof(image), image.Length, $"expected at least {size} floats");
        if (_features is not null)
        {
            _features.AsSpan(index * size, size).CopyTo(image);
            return _labels[index];
        }
        ReadOnlySpan<byte> src = _pixels.AsSpan(index * size, size); // fits: the constructor bounded N x size by the array length
        int plane = Height * Width;
        for (int c = 0; c < Channels; c++)
        {
            ReadOnlySpan<float> table = _table.AsSpan(c * 256, 256);
            ReadOnlySpan<byte> s = src.Slice(c * plane, plane);
            Span<float> d = image.Slice(c * plane, plane);
            for (int i = 0; i < s.Length; i++) d[i] = table[s[i]];
        }
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
        return With(_features is null ? _pixels[..(n * SampleSize)] : _pixels, _features?[..(n * SampleSize)], _labels[..n], $"{Name}[:{n}]");
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
        return With(_pixels, _features, labels, $"{Name} (random labels, seed {seed})");
    }

    /// <summary>The same samples normalised with another mean and standard deviation per channel
    /// (torchvision's <c>Normalize(mean, std)</c> after <c>ToTensor()</c>).</summary>
    /// <param name="mean">C means, on pixel / 255.</param>
    /// <param name="std">C positive standard deviations.</param>
    /// <exception cref="ArgumentException">The counts differ from <see cref="Channels"/> or a std is not positive.</exception>
    /// <exception cref="InvalidOperationException">The dataset is a table (its features are not pixels).</exception>
    public Dataset WithNormalization(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (_features is not null) throw new InvalidOperationException($"{Name}: a table's features are not normalised per channel");
        return new Dataset(_pixels, null, _labels, Channels, Height, Width, Classes, mean.ToArray(), std.ToArray(), Name, ClassNames);
    }

    /// <summary>The same samples with names for the classes.</summary>
    /// <exception cref="ArgumentException">The count differs from <see cref="Classes"/>.</exception>
    public Dataset WithClassNames(IReadOnlyList<string> classNames) =>
        new(_pixels, _features, _labels, Channels, Height, Width, Classes, _mean, _std, Name, classNames);

    /// <summary>The samples at <paramref name="indices"/>, in that order (e.g. a validation split).</summary>
    /// <param name="indices">Sample indices in [0, Count).</param>
    /// <param name="name">The new dataset's description.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public Dataset Select(ReadOnlySpan<int> indices, string name)
    {
        int size = SampleSize;
        var labels = new int[indices.Length];
        byte[] pixels = _features is null ? new byte[(long)indices.Length * size] : [];
        float[]? features = _features is null ? null : new float[(long)indices.Length * size];
        for (int i = 0; i < indices.Length; i++)
        {
            int j = Require.Index(indices[i], Count, nameof(indices));
            labels[i] = _labels[j];
            if (features is null) _pixels.AsSpan(j * size, size).CopyTo(pixels.AsSpan(i * size));
            else _features!.AsSpan(j * size, size).CopyTo(features.AsSpan(i * size));
        }
        return With(pixels, features, labels, name);
    }

    private Dataset With(byte[] pixels, float[]? features, int[] labels, string name) =>
        new(pixels, features, labels, Channels, Height, Width, Classes, _mean, _std, name, ClassNames);
}
