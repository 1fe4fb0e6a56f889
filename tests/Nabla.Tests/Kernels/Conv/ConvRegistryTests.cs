using Nabla.Kernels;
using Nabla.Kernels.Conv;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Kernels.Conv;

/// <summary>The registry's choice by cost against the cascade of booleans F.Conv2d used before it (kept here as the
/// reference), and the forcing of an algorithm by name.</summary>
public class ConvRegistryTests
{
    /// <summary>The choice as F.Conv.cs made it before the registry: Winograd F(4x4, 3x3), then F(2x2, 5x5), then the
    /// direct one-channel kernel, else im2col; since F(4x4, 5x5) came, it goes before F(2x2, 5x5) where it pays and its
    /// products on whole tiles (64 per 4x4 tile) are fewer than F(2x2, 5x5)'s (36 per 2x2 tile).</summary>
    private static string OldCascade(ConvGeometry s)
    {
        bool unit = s.Sh == 1 && s.Sw == 1 && s.Dh == 1 && s.Dw == 1;
        long Tiles(int tileOut) => (long)s.N * ((s.Oh + tileOut - 1) / tileOut) * ((s.Ow + tileOut - 1) / tileOut);
        bool Pays(int tileOut) => Winograd.IsAccelerated && s.Cin >= 16 && s.Cout >= 16 && s.Oh >= 8 && s.Ow >= 8
            && Tiles(tileOut) >= 128;
        if (s.G == 1 && s.Kh == 3 && s.Kw == 3 && unit && Pays(Winograd.TileOut)) return "winograd-f4x4-3x3";
        bool five = s.G == 1 && s.Kh == 5 && s.Kw == 5 && unit;
        if (five && Pays(Winograd.TileOut) && (!Pays(Winograd.TileOut5) || Tiles(Winograd.TileOut) * 64 < Tiles(Winograd.TileOut5) * 36))
            return "winograd-f4x4-5x5";
        if (five && Pays(Winograd.TileOut5)) return "winograd-f2x2-5x5";
        if (s.Cin == 1 && s.G == 1 && unit && s.Kh <= DirectConv.MaxKernel && s.Kw <= DirectConv.MaxKernel
            && DirectConv.IsAccelerated && s.Kh * s.Kw >= 16 && s.Cout <= 16) return "direct-1ch";
        return "im2col";
    }

    private static ConvGeometry Geo(int n, int cin, int h, int w, int cout, int k, int stride = 1, int pad = 0, int dil = 1, int groups = 1, int kw = 0)
    {
        kw = kw == 0 ? k : kw;
        int oh = F.PoolOutSize(h, k, stride, pad, dil), ow = F.PoolOutSize(w, kw, stride, pad, dil);
        return new ConvGeometry(n, cin, h, w, cout, groups, cin / groups, k, kw, stride, stride, pad, pad, dil, dil, oh, ow);
    }

    /// <summary>The zoo's convolutions at the bench's batches (64 train, 256 infer, 1), and shapes at every threshold.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Table() => new()
    {
        // n, cin, h, w, cout, k, stride, pad, dilation, groups
        { 64, 1, 28, 28, 6, 5, 1, 2, 1, 1 },     // lenet5 conv1: direct
        { 64, 6, 14, 14, 16, 5, 1, 0, 1, 1 },    // lenet5 conv2: im2col (few channels)
        { 64, 1, 28, 28, 32, 3, 1, 0, 1, 1 },    // mnist-cnn conv1: im2col (few taps)
        { 64, 32, 26, 26, 64, 3, 1, 0, 1, 1 },   // mnist-cnn conv2: winograd 3x3
        { 256, 32, 26, 26, 64, 3, 1, 0, 1, 1 },
        { 1, 32, 26, 26, 64, 3, 1, 0, 1, 1 },    // batch 1: too few tiles
        { 64, 96, 23, 23, 256, 5, 1, 2, 1, 1 },  // alexnet-mnist: winograd F(4x4, 5x5)
        { 2, 96, 23, 23, 256, 5, 1, 2, 1, 1 },   // 72 4x4 tiles: too few; F(2x2, 5x5)
        { 64, 1, 28, 28, 96, 11, 4, 0, 1, 1 },   // strided: im2col
        { 64, 256, 11, 11, 384, 3, 1, 1, 1, 1 },
        { 2, 16, 10, 10, 16, 3, 1, 0, 1, 1 },    // 8x8 output, 2·4 tiles: too few
        { 8, 16, 10, 10, 16, 3, 1, 0, 1, 1 },    // 8·4 = 32 tiles: too few
        { 32, 16, 10, 10, 16, 3, 1, 0, 1, 1 },   // 128 tiles: winograd
        { 32, 15, 10, 10, 16, 3, 1, 0, 1, 1 },   // 15 channels: im2col
        { 32, 16, 9, 9, 16, 3, 1, 0, 1, 1 },     // 7x7 output: im2col
        { 32, 16, 10, 10, 16, 3, 2, 0, 1, 1 },   // stride 2
        { 32, 16, 12, 12, 16, 3, 1, 0, 2, 1 },   // dilation 2
        { 32, 16, 10, 10, 16, 3, 1, 0, 1, 2 },   // groups 2
        { 4, 1, 12, 12, 16, 4, 1, 0, 1, 1 },     // 16 taps, 16 channels: direct
        { 4, 1, 12, 12, 17, 4, 1, 0, 1, 1 },     // 17 channels: im2col
        { 4, 1, 12, 12, 8, 7, 1, 3, 1, 1 },
        { 4, 1, 12, 12, 8, 9, 1, 4, 1, 1 },      // 9x9: past the direct kernel's 7x7
        { 4, 1, 12, 12, 8, 5, 2, 2, 1, 1 },
        { 0, 1, 12, 12, 8, 5, 1, 2, 1, 1 },      // no images
    };

    [Theory, MemberData(nameof(Table))]
    public void Pick_ReproducesTheOldCascade(int n, int cin, int h, int w, int cout, int k, int stride, int pad, int dil, int groups)
    {
        var g = Geo(n, cin, h, w, cout, k, stride, pad, dil, groups);
        Assert.Equal(OldCascade(g), ConvRegistry.Choose(g));
    }

    [Fact]
    public void Pick_ReproducesTheOldCascade_Sweep()
    {
        int checkedCount = 0;
        var picked = new HashSet<string>();
        foreach (int n in new[] { 1, 3, 8, 33 })
            foreach (int cin in new[] { 1, 2, 15, 16, 40 })
                foreach (int cout in new[] { 1, 15, 16, 17, 64 })
                    foreach (var (k, kw) in new[] { (1, 1), (3, 3), (4, 4), (5, 5), (3, 5), (7, 7), (8, 8) })
                        foreach (int hw in new[] { 9, 12, 20 })
                            foreach (var (stride, dil, groups) in new[] { (1, 1, 1), (2, 1, 1), (1, 2, 1), (1, 1, 2) })
                            {
                                if (cin % groups != 0 || cout % groups != 0) continue;
                                var g = Geo(n, cin, hw, hw, cout, k, stride, 0, dil, groups, kw);
                                if (g.Oh <= 0 || g.Ow <= 0) continue;
                                string expected = OldCascade(g);
                                Assert.True(expected == ConvRegistry.Choose(g), $"{g}: expected {expected}, got {ConvRegistry.Choose(g)}");
                                picked.Add(expected);
                                checkedCount++;
                            }
        Assert.True(checkedCount > 1000);
        if (Winograd.IsAccelerated && DirectConv.IsAccelerated) Assert.Equal(ConvRegistry.Names.Order(), picked.Order()); // every algorithm was picked somewhere
    }

    [Fact]
    public void Pick_RequestedByName_WhenSupported_ElseTheCheapest()
    {
        var lenet1 = Geo(64, 1, 28, 28, 6, 5, 1, 2);
        Assert.Equal("im2col", ConvRegistry.Pick(lenet1, "im2col").Name);
        Assert.Equal("winograd-f2x2-5x5", ConvRegistry.Pick(lenet1, "winograd-f2x2-5x5").Name); // supported, even where it does not pay
        var strided = Geo(64, 1, 28, 28, 6, 5, 2, 2);
        Assert.Equal(ConvRegistry.Choose(strided), ConvRegistry.Pick(strided, "winograd-f2x2-5x5").Name);
        var e = Assert.Throws<ArgumentException>(() => ConvRegistry.Pick(lenet1, "fft"));
        Assert.Contains("unknown convolution algorithm 'fft'", e.Message);
    }

    [Fact]
    public void Explain_ListsEveryAlgorithm_TheChosenOneCheapest()
    {
        var g = Geo(64, 32, 26, 26, 64, 3);
        var all = ConvRegistry.Explain(g);
        Assert.Equal(ConvRegistry.Names, all.Select(c => c.Name));
        var chosen = all.Single(c => c.Name == ConvRegistry.Choose(g));
        Assert.All(all.Where(c => c.Supported), c => Assert.True(chosen.Cost <= c.Cost, c.Name));
        Assert.False(all.Single(c => c.Name == "direct-1ch").Supported);
    }

    [Fact]
    public void Conv2d_UnknownAlgorithm_Throws()
    {
        var x = new Tensor(1, 1, 5, 5);
        var w = new Tensor(1, 1, 3, 3);
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(x, w, null, Conv2dOptions.Default with { Algorithm = "nope" }));
        Assert.Contains("known: winograd-f4x4-3x3", e.Message);
    }
}
