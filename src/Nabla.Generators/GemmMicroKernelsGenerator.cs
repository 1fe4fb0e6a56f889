using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Nabla.Generators;

/// <summary>Writes Gemm.MicroKernels.g.cs into the Nabla assembly: the micro-kernels of <see cref="GemmKernelTable"/>,
/// unrolled so that every accumulator is a named local the JIT keeps in a register.</summary>
/// <remarks>Each kernel computes C[rows x cols] (+)= Ap[rows x kc] * Bp[kc x cols] from packed panels (Ap: kc steps
/// of rows floats; Bp: kc steps of cols floats): it prefetches C's tile, runs the k loop of one broadcast of A and
/// one fused multiply-add per accumulator, then adds C (when accumulating) and stores.</remarks>
[Generator(LanguageNames.CSharp)]
public sealed class GemmMicroKernelsGenerator : IIncrementalGenerator
{
    /// <summary>The one assembly the kernels belong to.</summary>
    private const string TargetAssembly = "Nabla";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var isTarget = context.CompilationProvider.Select((c, _) => c.AssemblyName == TargetAssembly);
        context.RegisterSourceOutput(isTarget, (spc, target) =>
        {
            if (target) spc.AddSource("Gemm.MicroKernels.g.cs", SourceText.From(Generate(), new UTF8Encoding(false)));
        });
    }

    private const string Header =
        "// Generated at build time by src/Nabla.Generators (GemmMicroKernelsGenerator): change its GemmKernelTable.\n" +
        "// The micro-kernels, unrolled so that every accumulator is a named local the JIT keeps in a register.\n" +
        "using System.Runtime.CompilerServices;\n" +
        "using System.Runtime.Intrinsics;\n" +
        "using System.Runtime.Intrinsics.X86;\n" +
        "\n" +
        "namespace Nabla.Kernels;\n" +
        "\n" +
        "public static partial class Gemm\n" +
        "{\n";

    /// <summary>The whole generated file.</summary>
    public static string Generate() => Header + string.Join("\n", GemmKernelTable.Kernels.Select(Kernel)) + "}\n";

    /// <summary>The address of C[row, vec · lanes] as the kernels write it.</summary>
    private static string Offset(int row, int vec, int lanes)
    {
        string row0 = row == 0 ? "c" : $"c + {row} * ldc";
        return vec == 0 ? row0 : $"{row0} + {vec * lanes}";
    }

    private static string Kernel(KernelSpec k)
    {
        string v = $"Vector{k.Bits}<float>", vs = $"Vector{k.Bits}";
        string fma = k.Bits == 512 ? "Avx512F.FusedMultiplyAdd" : "Fma.MultiplyAdd";
        int rows = k.Rows, nv = k.ColumnVectors, lanes = k.Lanes;
        string i4 = new(' ', 4), i8 = new(' ', 8), i12 = new(' ', 12);
        var vecs = Enumerable.Range(0, nv);
        var o = new List<string>
        {
            $"{i4}/// <summary>{k.Summary}: C[{rows} x {k.Cols}] (+)= Ap[{rows} x kc] * Bp[kc x {k.Cols}] from packed panels, " +
            $"all {rows * nv} accumulators in registers.</summary>",
            $"{i4}[MethodImpl(MethodImplOptions.AggressiveOptimization)]",
            $"{i4}private static unsafe void {k.Name}(int kc, float* a, float* b, float* c, int ldc, bool accumulate)",
            $"{i4}{{",
        };
        // C's rows are ldc apart, too many strided streams for the hardware prefetcher: ask for the tile's cache
        // lines (16 floats each) now, so that they arrive while the k loop runs.
        for (int r = 0; r < rows; r++)
            o.Add(i8 + string.Join(" ", Enumerable.Range(0, nv * lanes / 16).Select(j => $"Sse.Prefetch0({Offset(r, j, lanes)});")));
        for (int r = 0; r < rows; r++)
            o.Add(i8 + v + " " + string.Join(", ", vecs.Select(j => $"c{r}_{j} = default")) + ";");
        o.Add($"{i8}for (int p = 0; p < kc; p++)");
        o.Add($"{i8}{{");
        o.Add(i12 + v + " " + string.Join(", ", vecs.Select(j => $"b{j} = {vs}.Load(b + {j * lanes})")) + ";");
        for (int r = 0; r < rows; r++)
            o.Add($"{i12}var a{r} = {vs}.Create(a[{r}]); " + string.Join(" ", vecs.Select(j => $"c{r}_{j} = {fma}(a{r}, b{j}, c{r}_{j});")));
        o.Add($"{i12}a += {rows};");
        o.Add($"{i12}b += {k.Cols};");
        o.Add($"{i8}}}");
        o.Add($"{i8}if (accumulate)");
        o.Add($"{i8}{{");
        for (int r = 0; r < rows; r++)
            o.Add(i12 + string.Join(" ", vecs.Select(j => $"c{r}_{j} += {vs}.Load({Offset(r, j, lanes)});")));
        o.Add($"{i8}}}");
        for (int r = 0; r < rows; r++)
            o.Add(i8 + string.Join(" ", vecs.Select(j => $"c{r}_{j}.Store({Offset(r, j, lanes)});")));
        o.Add($"{i4}}}");
        return string.Join("\n", o) + "\n";
    }
}
