namespace Nabla.Data.Transforms;

/// <summary>
/// torchvision's <c>RandomCrop(size=(H, W), padding=P)</c>: pad by P pixels of the background on every side and
/// take a random H x W window, i.e. translate the image by a uniform (dy, dx) in [-P, P]², the borders filled with
/// the background. <c>--shift</c> is <c>RandomCrop(2)</c>.
/// </summary>
/// <param name="padding">P, at least 1.</param>
public sealed class RandomCrop(int padding) : Transform
{
    /// <summary>P: the largest translation along each axis, in pixels.</summary>
    public int Padding { get; } = padding > 0 ? padding : throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be positive");

    /// <inheritdoc/>
    /// <remarks>Draws dy then dx, each <c>NextInt(2P + 1) - P</c>, and moves pixel (y, x) to (y + dy, x + dx).</remarks>
    public override void Apply(Span<float> image, int channels, int height, int width, ReadOnlySpan<float> background, ref TransformRandom random)
    {
        int dy = random.NextInt(2 * Padding + 1) - Padding;
        int dx = random.NextInt(2 * Padding + 1) - Padding;
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            DataLoader.ShiftInPlace(image.Slice(c * plane, plane), 1, height, width, dy, dx, background[c]);
    }

    /// <summary>The <c>--augment</c> item that makes this transform.</summary>
    public override string ToString() => "crop=" + Padding;
}
