using System.Collections.Generic;

namespace Nabla.Generators;

/// <summary>One register-tiled GEMM micro-kernel: C[Rows x Cols] (+)= Ap[Rows x kc] * Bp[kc x Cols] from packed
/// panels, with <see cref="ColumnVectors"/> vectors of <see cref="Bits"/> bits per row of C.</summary>
public sealed class KernelSpec
{
    /// <param name="name">The method's name in Nabla.Kernels.Gemm.</param>
    /// <param name="bits">512 (AVX-512) or 256 (AVX2 + FMA).</param>
    /// <param name="rows">Rows of the tile (of A's packed panel).</param>
    /// <param name="columnVectors">Vectors per row of the tile.</param>
    /// <param name="summary">The start of the method's XML summary.</param>
    public KernelSpec(string name, int bits, int rows, int columnVectors, string summary)
    {
        Name = name; Bits = bits; Rows = rows; ColumnVectors = columnVectors; Summary = summary;
    }

    /// <summary>The method's name in Nabla.Kernels.Gemm.</summary>
    public string Name { get; }
    /// <summary>Vector width in bits: 512 (AVX-512) or 256 (AVX2 + FMA).</summary>
    public int Bits { get; }
    /// <summary>Rows of the tile.</summary>
    public int Rows { get; }
    /// <summary>Vectors per row of the tile.</summary>
    public int ColumnVectors { get; }
    /// <summary>The start of the method's XML summary.</summary>
    public string Summary { get; }
    /// <summary>Floats per vector.</summary>
    public int Lanes => Bits / 32;
    /// <summary>Columns of the tile.</summary>
    public int Cols => ColumnVectors * Lanes;
}

/// <summary>The micro-kernels <see cref="GemmMicroKernelsGenerator"/> writes. To change a tile, edit this table and
/// rebuild; Gemm.Packed.cs calls them by name.</summary>
public static class GemmKernelTable
{
    /// <summary>Every kernel, in the order they are written.</summary>
    public static IReadOnlyList<KernelSpec> Kernels { get; } = new[]
    {
        new KernelSpec("Kernel512x14", 512, 14, 2, "AVX-512 micro-kernel"),
        new KernelSpec("Kernel512x8", 512, 8, 2, "AVX-512 micro-kernel for short matrices"),
        new KernelSpec("Kernel512x14n16", 512, 14, 1, "AVX-512 edge micro-kernel (last panel of at most 16 columns)"),
        new KernelSpec("Kernel512x8n16", 512, 8, 1, "AVX-512 edge micro-kernel for short matrices"),
        new KernelSpec("Kernel256x6", 256, 6, 2, "AVX2 + FMA micro-kernel"),
    };
}
