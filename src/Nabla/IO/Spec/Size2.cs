using System.Globalization;

namespace Nabla.IO.Spec;

/// <summary>A height x width pair, as PyTorch's <c>kernel_size=(3, 5)</c>; written <c>3</c> when square, else <c>3x5</c>.</summary>
/// <param name="H">The height (rows).</param>
/// <param name="W">The width (columns).</param>
public readonly record struct Size2(int H, int W)
{
    /// <summary>A square size: <c>Size2 k = 3;</c> means 3x3.</summary>
    public static implicit operator Size2(int both) => new(both, both);

    /// <summary>True when <see cref="H"/> equals <see cref="W"/>.</summary>
    public bool IsSquare => H == W;

    /// <summary>The spec-file spelling: <c>3</c> or <c>3x5</c>.</summary>
    public override string ToString() =>
        IsSquare ? H.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{H}x{W}");
}
