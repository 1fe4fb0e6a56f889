namespace Nabla.Data.Transforms;

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c>: mirrors the image left to right with probability p.</summary>
/// <param name="probability">p in [0, 1]; default 0.5.</param>
public sealed class RandomHorizontalFlip(double probability = 0.5) : Transform
{
    /// <summary>p, the probability of a flip.</summary>
    public double Probability { get; } = probability is >= 0 and <= 1 ? probability : throw new ArgumentOutOfRangeException(nameof(probability), probability, "expected [0, 1]");

    /// <inheritdoc/>
    public override void Apply(Span<float> image, int channels, int height, int width, ReadOnlySpan<float> background, ref TransformRandom random)
    {
        if (!(random.NextDouble() < Probability)) return;
        for (int r = 0; r < channels * height; r++) image.Slice(r * width, width).Reverse();
    }

    /// <summary>The <c>--augment</c> item that makes this transform.</summary>
    public override string ToString() => "flip=" + Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
