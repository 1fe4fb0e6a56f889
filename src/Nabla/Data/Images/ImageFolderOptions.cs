namespace Nabla.Data.Images;

/// <summary>How <see cref="ImageFolder"/> turns files into a dataset.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Channels of every sample: 1 (grayscale) or 3 (RGB); images are converted. Default 3.</summary>
    public int Channels { get; init; } = 3;

    /// <summary>The image height every sample must have (or is resized to with <see cref="Resize"/>); 0 means
    /// "the size of the first image".</summary>
    public int Height { get; init; }

    /// <summary>The image width, as <see cref="Height"/>.</summary>
    public int Width { get; init; }

    /// <summary>Whether images of another size are resized (bilinear) to Height x Width; otherwise they are
    /// refused, naming the first such file. Default false.</summary>
    public bool Resize { get; init; }

    /// <summary>For the flat layout <c>DIR/&lt;class&gt;/*</c>: the fraction of all images held out as
    /// the test set, chosen by a seeded permutation. 0 requires the <c>DIR/train</c> + <c>DIR/test</c> layout.</summary>
    public double ValSplit { get; init; }

    /// <summary>The seed of the validation split.</summary>
    public ulong Seed { get; init; }

    /// <summary>Where decoded pixels of large folders are cached; default <see cref="MnistFetcher.CacheDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Decoded splits of at least this many bytes are cached on disk (small ones decode in moments).
    /// Default 16 MiB; <see cref="long.MaxValue"/> disables the cache.</summary>
    public long CacheThreshold { get; init; } = 16L << 20;

    /// <summary>Decoding threads; default all cores.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}
