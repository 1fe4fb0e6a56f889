using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Nabla.Kernels;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>Each operation of <see cref="Vector16"/> against its definition lane by lane: the form this CPU dispatches
/// to, and the AVX2 form itself wherever AVX2 runs (so an AVX-512 machine checks the AVX2 twin too).</summary>
public unsafe class Vector16Tests
{
    private static readonly bool Avx2Here = Avx2.IsSupported;

    private static Vector512<float> Ramp(float start) => Vector512.Create(start) + Vector512.ConvertToSingle(Vector512<int>.Indices);

    [Fact]
    public void EveryOther_TakesTheEvenOrTheOddLanesOfThe32Floats()
    {
        var lo = Ramp(0f); var hi = Ramp(16f); // lane l of lo then hi holds l
        foreach (bool odd in new[] { false, true })
        {
            var want = Vector512.ConvertToSingle(Vector512<int>.Indices * 2 + Vector512.Create(odd ? 1 : 0));
            Assert.Equal(want, Vector16.EveryOther(lo, hi, odd));
            if (Avx2Here) Assert.Equal(want, Vector16.EveryOtherAvx2(lo, hi, odd));
        }
    }

    [Fact]
    public void Interleave_AlternatesTheLanesOfTheTwoVectors()
    {
        var a = Ramp(0f); var b = Ramp(100f);
        foreach (bool high in new[] { false, true })
        {
            var want = new float[16];
            for (int l = 0; l < 16; l++) want[l] = (l % 2 == 0 ? 0f : 100f) + l / 2 + (high ? 8 : 0);
            Assert.Equal(Vector512.Create(want), Vector16.Interleave(a, b, high));
            if (Avx2Here) Assert.Equal(Vector512.Create(want), Vector16.InterleaveAvx2(a, b, high));
        }
    }

    [Fact]
    public void MaskedLoadsAndStores_TouchOnlyTheFirstLiveLanes()
    {
        for (int live = -1; live <= 17; live++)
        {
            var mask = Vector16.FirstLanes(live);
            int n = Math.Clamp(live, 0, 16);
            var src = new float[16]; var isrc = new int[16];
            for (int l = 0; l < 16; l++) { src[l] = l + 1; isrc[l] = -(l + 1); }
            var wantF = new float[16]; var wantI = new int[16];
            for (int l = 0; l < n; l++) { wantF[l] = src[l]; wantI[l] = isrc[l]; }
            fixed (float* ps = src) fixed (int* pi = isrc)
            {
                Assert.Equal(Vector512.Create(wantF), Vector16.Load(ps, mask));
                Assert.Equal(Vector512.Create(wantI), Vector16.Load(pi, mask.AsInt32()));
                if (Avx2Here)
                {
                    Assert.Equal(Vector512.Create(wantF), Vector16.LoadAvx2(ps, mask));
                    Assert.Equal(Vector512.Create(wantI), Vector16.LoadAvx2(pi, mask.AsInt32()));
                }
            }
            foreach (bool avx2 in Avx2Here ? new[] { false, true } : new[] { false })
            {
                var dst = Enumerable.Repeat(-7f, 16).ToArray(); var idst = Enumerable.Repeat(7, 16).ToArray();
                fixed (float* pd = dst) fixed (int* pi = idst)
                {
                    if (avx2) { Vector16.StoreAvx2(pd, mask, Ramp(1f)); Vector16.StoreAvx2(pi, mask.AsInt32(), -Vector512.ConvertToInt32(Ramp(1f))); }
                    else { Vector16.Store(pd, mask, Ramp(1f)); Vector16.Store(pi, mask.AsInt32(), -Vector512.ConvertToInt32(Ramp(1f))); }
                }
                for (int l = 0; l < 16; l++)
                {
                    Assert.Equal(l < n ? src[l] : -7f, dst[l]);
                    Assert.Equal(l < n ? isrc[l] : 7, idst[l]);
                }
            }
        }
    }

    [Fact]
    public void Transpose16_BothForms_SwapRowsAndColumns()
    {
        var m = new float[256];
        for (int i = 0; i < 256; i++) m[i] = i;
        foreach (bool avx2 in Avx2Here ? new[] { false, true } : new[] { false })
        {
            if (!avx2 && !Vector16.IsSupported) continue; // Winograd.Transpose16 needs AVX-512 or AVX2
            var t = (float[])m.Clone();
            fixed (float* p = t)
            {
                if (avx2) Vector16.Transpose16Avx2(p);
                else Winograd.Transpose16((Vector512<float>*)p);
            }
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 16; c++) Assert.Equal(m[c * 16 + r], t[r * 16 + c]);
        }
    }

    [Fact]
    public void Pack6x8Avx2_WritesTheSixRowPanelAndNothingPastIt()
    {
        if (!Avx2Here) return; // the AVX2 packing only exists where AVX2 runs; GemmTests cover the products on every path
        const int lds = 11;
        var src = new float[6 * lds];
        for (int i = 0; i < src.Length; i++) src[i] = i + 1;
        var dst = Enumerable.Repeat(-1f, 48 + 8).ToArray();
        fixed (float* ps = src, pd = dst) Gemm.Pack6x8Avx2(ps + 2, lds, pd);
        for (int p = 0; p < 8; p++)
            for (int r = 0; r < 6; r++) Assert.Equal(src[r * lds + 2 + p], dst[p * 6 + r]);
        for (int i = 48; i < dst.Length; i++) Assert.Equal(-1f, dst[i]);
    }
}
