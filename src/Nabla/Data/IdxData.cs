namespace Nabla.Data;

/// <summary>
/// The content of one IDX file of unsigned bytes: its dimensions (big-endian in the file) and its data
/// in row-major order, as read and validated by <see cref="IdxReader"/>.
/// </summary>
public sealed class IdxData
{
    /// <summary>Creates the record; <see cref="IdxReader"/> is the usual way to get one.</summary>
    /// <param name="source">The file (or name) the data came from, used in error messages.</param>
    /// <param name="shape">The dimensions, outermost first (e.g. [60000, 28, 28]).</param>
    /// <param name="data">The bytes, row-major; its length is the product of <paramref name="shape"/>.</param>
    /// <param name="sha256">SHA-256 of the decompressed file (header and data), lowercase hex.</param>
    public IdxData(string source, int[] shape, byte[] data, string sha256)
    {
        Source = source;
        Shape = shape;
        Data = data;
        Sha256 = sha256;
    }

    /// <summary>The file (or name) the data came from.</summary>
    public string Source { get; }

    /// <summary>The dimensions, outermost first: [N] for labels, [N, H, W] for images.</summary>
    public int[] Shape { get; }

    /// <summary>The bytes, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>SHA-256 of the decompressed IDX content (header and data), lowercase hex.</summary>
    public string Sha256 { get; }

    /// <summary>The IDX magic number of this data: 0x00000800 + number of dimensions.</summary>
    public int Magic => 0x0800 + Shape.Length;

    /// <summary>The number of bytes before the data in the (decompressed) file: 4 + 4 x dimensions.</summary>
    public int HeaderLength => 4 + 4 * Shape.Length;
}
