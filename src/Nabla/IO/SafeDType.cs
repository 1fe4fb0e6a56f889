namespace Nabla.IO;

/// <summary>
/// The element types Nabla reads and writes in safetensors files, named as in the format's header
/// (<c>"F32"</c>, <c>"F64"</c>, <c>"I64"</c>, <c>"I8"</c>). Any other dtype in a file is refused by name.
/// </summary>
public enum SafeDType
{
    /// <summary>IEEE 754 binary32, little-endian (PyTorch <c>torch.float32</c>).</summary>
    F32,

    /// <summary>IEEE 754 binary64, little-endian (PyTorch <c>torch.float64</c>); converted to float32 on load.</summary>
    F64,

    /// <summary>Signed 64-bit integer, little-endian (PyTorch <c>torch.int64</c>, e.g. <c>num_batches_tracked</c>).</summary>
    I64,

    /// <summary>Signed 8-bit integer (PyTorch <c>torch.int8</c>): the codes of int8-quantised weights; read as exact float32 values too.</summary>
    I8,
}

/// <summary>Size and naming helpers for <see cref="SafeDType"/>.</summary>
internal static class SafeDTypeExtensions
{
    /// <summary>Bytes per element: 4 for F32, 8 for F64 and I64, 1 for I8.</summary>
    internal static int ItemSize(this SafeDType dtype) => dtype switch
    {
        SafeDType.F32 => 4,
        SafeDType.I8 => 1,
        _ => 8,
    };

    /// <summary>
    /// Rank used to order tensors in a written file, as the reference implementation does
    /// (it sorts by its dtype enum in reverse, which puts I64 before F64 before F32 before I8, then by name).
    /// </summary>
    internal static int WriteRank(this SafeDType dtype) => dtype switch
    {
        SafeDType.I64 => 0,
        SafeDType.F64 => 1,
        SafeDType.F32 => 2,
        _ => 3,
    };

    /// <summary>Parses a header dtype name (<c>"F32"</c>, <c>"F64"</c>, <c>"I64"</c>, <c>"I8"</c>; case-sensitive, as the format).</summary>
    internal static bool TryParse(string name, out SafeDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafeDType.F32; return true;
            case "F64": dtype = SafeDType.F64; return true;
            case "I64": dtype = SafeDType.I64; return true;
            case "I8": dtype = SafeDType.I8; return true;
            default: dtype = default; return false;
        }
    }
}
