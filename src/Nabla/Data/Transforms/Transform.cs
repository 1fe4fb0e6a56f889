namespace Nabla.Data.Transforms;

/// <summary>
/// A random augmentation applied in place to one normalised C x H x W sample as the <see cref="DataLoader"/>
/// gathers it (torchvision's transforms after <c>ToTensor()</c> and <c>Normalize</c>). Compose them by passing
/// several to the loader: they run in order, drawing from one generator per sample.
/// </summary>
/// <example><code>
/// var loader = new DataLoader(train, 64, seed: 1, transforms: [new RandomCrop(4), new RandomHorizontalFlip()]);
/// </code></example>
public abstract class Transform
{
    /// <summary>Transforms <paramref name="image"/> in place.</summary>
    /// <param name="image">C x H x W floats.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="background">The normalised value of a zero pixel of each channel (what padding fills in).</param>
    /// <param name="random">This sample's random draws.</param>
    public abstract void Apply(Span<float> image, int channels, int height, int width, ReadOnlySpan<float> background, ref TransformRandom random);

    /// <summary>Parses the value of <c>--augment</c>: comma-separated <c>crop=P</c> (<see cref="RandomCrop"/> with
    /// padding P), <c>flip</c> (<see cref="RandomHorizontalFlip"/>, p = 0.5) or <c>flip=P</c>, in the order given.</summary>
    /// <exception cref="NablaInputException">An item is unknown or its number is out of range.</exception>
    public static IReadOnlyList<Transform> ParseList(string text)
    {
        var list = new List<Transform>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = raw.Split('=', 2);
            string key = kv[0], value = kv.Length > 1 ? kv[1] : "";
            if (key == "crop" && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int p) && p is >= 1 and <= 64)
                list.Add(new RandomCrop(p));
            else if (key == "flip" && value.Length == 0)
                list.Add(new RandomHorizontalFlip());
            else if (key == "flip" && double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double q) && q is >= 0 and <= 1)
                list.Add(new RandomHorizontalFlip(q));
            else
                throw new NablaInputException($"--augment {text}: expected items crop=P (P in 1..64) or flip[=P] (P in [0, 1]) separated by commas, found '{raw}'");
        }
        if (list.Count == 0) throw new NablaInputException($"--augment {text}: expected items crop=P or flip, found none");
        return list;
    }
}
