using System.Globalization;
using Nabla.Data;
using Nabla.Data.Transforms;

namespace Nabla.Cli;

/// <summary>The data flags shared by <c>nabla train</c> and <c>nabla eval</c>, mapped to the library's typed options.</summary>
internal sealed record DataFlags(DataOptions Options, Normalization? Normalize)
{
    public static readonly IReadOnlyList<Flag> Flags =
    [
        Flag.Multi("resize", "H W", 1, 2, "resize image-folder images to H x W (bilinear; also HxW); without it other sizes are refused"),
        Flag.Valued("val-split", "F", "hold out the fraction F as the test set (image folder DIR/<class> layout; CSV, default 0.2)"),
        Flag.Valued("label-column", "NAME", "the CSV column holding the labels (default the last)"),
        Flag.Valued("normalize", "M,S|auto", "per-channel mean,std on pixel/255 (C means then C stds, or one pair), or computed on the training set"),
    ];

    /// <summary>--augment, read by <see cref="Augment"/> (train only).</summary>
    public static readonly Flag AugmentFlag =
        Flag.Valued("augment", "LIST", "training augmentations in order: crop=P (random crop, padding P), flip[=P] (horizontal)");

    /// <summary>Reads --resize, --val-split, --label-column and --normalize.</summary>
    public static DataFlags Read(Args args, string command)
    {
        var resize = args.Values("resize");
        (int, int)? size = null;
        if (resize is not null)
        {
            string[] parts = resize.Count == 1 ? resize[0].Split('x', ',') : [.. resize];
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
                || h is < 1 or > 4096 || w is < 1 or > 4096)
                throw new UsageException($"nabla {command}: --resize expects a height and width in 1..4096 like '--resize 32 32', got '{string.Join(" ", parts)}'");
            size = (h, w);
        }
        double split = args.Double("val-split", 0, 0, 0.99);
        string? label = args.String("label-column");
        string? norm = args.String("normalize");
        return new DataFlags(new DataOptions { Resize = size, ValSplit = split, LabelColumn = label },
            norm is null ? null : Normalization.Parse(norm));
    }

    /// <summary>The --data value and flags to evaluate with: those given, the rest from the training run's
    /// data.json. The input flags (--resize, --normalize with the values training applied) always carry over;
    /// --val-split and --label-column only when the data is the run's own (they describe its files).</summary>
    /// <param name="data">--data as given, or null.</param>
    /// <param name="saved">The data.json beside the weights, or null.</param>
    public (string Data, DataFlags Flags) WithDefaults(string? data, DataConfig? saved)
    {
        if (saved is null) return (data ?? DataSource.Mnist, this);
        string d = data ?? saved.Data;
        bool same = saved.SameData(d);
        var o = Options with
        {
            Resize = Options.Resize ?? saved.Options.Resize,
            ValSplit = Options.ValSplit > 0 || !same ? Options.ValSplit : saved.ValSplit,
            LabelColumn = Options.LabelColumn ?? (same ? saved.LabelColumn : null),
        };
        return (d, this with { Options = o, Normalize = Normalize ?? saved.Normalization });
    }

    /// <summary>Reads --augment.</summary>
    public static IReadOnlyList<Transform>? Augment(Args args) => args.String("augment") is string a ? Transform.ParseList(a) : null;
}
