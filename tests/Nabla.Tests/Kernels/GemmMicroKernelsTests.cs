using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Nabla.Generators;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The micro-kernels that src/Nabla.Generators writes into Nabla (issue 17): every kernel its table names is
/// there with the micro-kernel signature (and no other), and each one this machine can run computes C[rows x cols]
/// (+)= Ap·Bp from packed panels bit for bit as its naive twin below, for odd kc, with C's row padding untouched.
/// (GemmTests.Sgemm_MatchesNaive_AllShapesBetasAndPaths reaches them through Sgemm too, within a tolerance.)</summary>
public class GemmMicroKernelsTests
{
    private static readonly Type[] Signature = [typeof(int), typeof(float*), typeof(float*), typeof(float*), typeof(int), typeof(bool)];

    private static MethodInfo? Find(string name) =>
        typeof(Gemm).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static, Signature);

    [Fact]
    public void Table_NamesEveryMicroKernel_AndTheyExist()
    {
        Assert.Equal(5, GemmKernelTable.Kernels.Count);
        foreach (var k in GemmKernelTable.Kernels)
        {
            var method = Find(k.Name);
            Assert.True(method is not null, $"Gemm.{k.Name}(int, float*, float*, float*, int, bool) was not generated");
            Assert.True(method!.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"Gemm.{k.Name} lost AggressiveOptimization");
        }
        var withSignature = typeof(Gemm).GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Where(m => m.GetParameters().Select(p => p.ParameterType).SequenceEqual(Signature)).Select(m => m.Name).Order();
        Assert.Equal(GemmKernelTable.Kernels.Select(k => k.Name).Order(), withSignature);
    }

    public static IEnumerable<object[]> Cases() =>
        from k in GemmKernelTable.Kernels
        from kc in new[] { 1, 7, 33 }
        from accumulate in new[] { false, true }
        select new object[] { k.Name, kc, accumulate };

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void Kernel_MatchesNaive_BitForBit(string name, int kc, bool accumulate)
    {
        var spec = GemmKernelTable.Kernels.Single(k => k.Name == name);
        bool runs = spec.Bits == 512 ? Avx512F.IsSupported : Fma.IsSupported;
        int rows = spec.Rows, cols = spec.Cols, ldc = cols + 3;
        var rng = new Random(rows * 1000 + cols * 10 + kc);
        var a = GemmTests.Random(rng, rows * kc);
        var b = GemmTests.Random(rng, kc * cols);
        var c = GemmTests.Random(rng, rows * ldc);
        var want = Naive(rows, cols, kc, a, b, c, ldc, accumulate);
        var method = Find(name)!;
        if (!runs) return; // this machine lacks the instructions: the table and signature are still checked above
        fixed (float* pa = a, pb = b, pc = c)
            method.Invoke(null, [kc, Pointer.Box(pa, typeof(float*)), Pointer.Box(pb, typeof(float*)), Pointer.Box(pc, typeof(float*)), ldc, accumulate]);
        Assert.Equal(want, c);
    }

    /// <summary>The micro-kernel's twin: Ap holds kc steps of <paramref name="rows"/> floats, Bp kc steps of
    /// <paramref name="cols"/>; each element is fused multiply-adds in p order from 0, then + C when accumulating;
    /// the padding of C's rows (columns cols..ldc) is left as it was.</summary>
    private static float[] Naive(int rows, int cols, int kc, float[] a, float[] b, float[] c, int ldc, bool accumulate)
    {
        var d = (float[])c.Clone();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                float s = 0f;
                for (int p = 0; p < kc; p++) s = MathF.FusedMultiplyAdd(a[p * rows + i], b[p * cols + j], s);
                d[i * ldc + j] = accumulate ? s + c[i * ldc + j] : s;
            }
        return d;
    }
}
