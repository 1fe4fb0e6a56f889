namespace Nabla.Data;

/// <summary>How <see cref="DataSource"/> reads image folders and tables (IDX data ignores these).</summary>
public sealed record DataOptions
{
    /// <summary>The model's input shape (C, H, W, or F): image folders convert to C channels and must
    /// match H x W (or are resized to it with <see cref="Resize"/>); null to take the first image's size, RGB.</summary>
    public int[]? Input { get; init; }

    /// <summary>--resize H W: resize every image to this height and width (bilinear); null to refuse other sizes.</summary>
    public (int Height, int Width)? Resize { get; init; }

    /// <summary>--val-split F: the fraction held out as the test set of a flat image folder or a CSV
    /// (default 0: none for image folders, 0.2 for CSV).</summary>
    public double ValSplit { get; init; }

    /// <summary>--label-column NAME of a CSV; null for the last column.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The seed of validation splits.</summary>
    public ulong Seed { get; init; }

    /// <summary>Threads decoding images; default all cores.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}
