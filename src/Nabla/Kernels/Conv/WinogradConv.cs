namespace Nabla.Kernels.Conv;

/// <summary>Winograd convolution of ungrouped, stride-1, dilation-1 convolutions (Kernels/Winograd*.cs):
/// F(4x4, 3x3) for 3x3 kernels; F(2x2, 5x5) or F(4x4, 5x5) for 5x5 kernels. The forward returns the transformed
/// weights as its state; the backward, on the same tiles, reuses them and transforms dY once for both dX and dW.</summary>
internal sealed class WinogradConv : ConvAlgorithm
{
    /// <summary>Below these the im2col product is as fast or faster: few channels (the transforms dominate), small
    /// planes (too many outputs of the last tiles are wasted), few tiles in all (the 36 products are too narrow;
    /// batch-1 inference). Measured: docs/performance.md (alexnet-mnist's 96→256 5x5 layer on 23x23 planes for F(2x2, 5x5)).</summary>
    private const int MinChannels = 16, MinSide = 8, MinTiles = 128;

    private readonly int _kernel, _tileOut, _tileIn;

    /// <param name="kernel">3 or 5.</param>
    /// <param name="tileOut">Outputs per tile side: 4 for F(4x4, 3x3) and F(4x4, 5x5), 2 for F(2x2, 5x5).</param>
    public WinogradConv(int kernel, int tileOut)
    {
        _kernel = kernel;
        _tileOut = tileOut;
        _tileIn = tileOut + kernel - 1;
        Name = $"winograd-f{tileOut}x{tileOut}-{kernel}x{kernel}";
    }

    public override string Name { get; }

    /// <summary>Products per tile (the transformed positions): 36 on 6x6 tiles, 64 on 8x8 ones.</summary>
    private int Positions => _tileIn * _tileIn;

    /// <summary>Multiply-adds per output relative to the direct sum: 36 per 4x4 tile against 9·16, 36 per 2x2 tile
    /// against 25·4, 64 per 4x4 tile against 25·16.</summary>
    private double Saving => (double)Positions / (_kernel * _kernel * _tileOut * _tileOut);

    public override bool Supports(in ConvGeometry g) =>
        g.G == 1 && g.Kh == _kernel && g.Kw == _kernel && g.UnitStride;

    private long Tiles(in ConvGeometry g) => (long)g.N * ((g.Oh + _tileOut - 1) / _tileOut) * ((g.Ow + _tileOut - 1) / _tileOut);

    private bool Pays(in ConvGeometry g) => Winograd.IsAccelerated && g.Cin >= MinChannels && g.Cout >= MinChannels
        && g.Oh >= MinSide && g.Ow >= MinSide && Tiles(g) >= MinTiles;

    /// <summary>The products' multiply-adds on whole tiles (the last row and column of tiles are padded): so between
    /// F(2x2, 5x5) and F(4x4, 5x5) the larger tiles lose where they waste more of the plane.</summary>
    public override double Cost(in ConvGeometry g) => Pays(g) ? (double)Tiles(g) * Positions * g.Cin * g.Cout : double.PositiveInfinity;

    public override string Why(in ConvGeometry g) =>
        !Winograd.IsAccelerated ? "no hardware 256- or 512-bit vectors"
        : g.Cin < MinChannels || g.Cout < MinChannels ? $"too few channels (< {MinChannels}): the transforms dominate"
        : g.Oh < MinSide || g.Ow < MinSide ? $"output plane under {MinSide}x{MinSide}: the last tiles waste too much"
        : Tiles(g) < MinTiles ? $"too few tiles ({Tiles(g)} < {MinTiles}): the 36 products are too narrow"
        : $"{Saving:0.00} of the direct multiply-adds";

    public override bool WritesNewInputGrad => true;

    public override float[]? Forward(in ConvGeometry g, float[] x, float[] w, float[]? b, float[] y, bool relu,
        bool keepForWeightGrad, IConvScratch scratch)
    {
        var u = scratch.Floats(Positions * g.Cout * g.Cin, clear: false);
        if (_kernel == 3)
        {
            Winograd.TransformWeights(w, g.Cout, g.Cin, flipTranspose: false, u);
            Winograd.Conv(g, x, u, b, y, accumulate: false, relu);
        }
        else if (_tileOut == Winograd.TileOut5)
        {
            Winograd.TransformWeights5x5(w, g.Cout, g.Cin, u);
            Winograd.Conv5x5(g, x, u, b, y, relu);
        }
        else
        {
            Winograd.TransformWeights5x5F4(w, g.Cout, g.Cin, u);
            Winograd.Conv5x5F4(g, x, u, b, y, relu);
        }
        return u;
    }

    /// <inheritdoc/>
    /// <remarks>db straight from dY; dX += (or =, for a new gradient) and dW += by <see cref="Winograd.Backward"/>
    /// (one transform of dY for both, the ReLU mask applied as it is read); dW as the sum of Winograd's fixed runs
    /// of chunks, in run order.</remarks>
    public override void Backward(in ConvGeometry g, float[] x, float[] w, float[] gd, float[]? yRelu, float[]? state,
        in ConvGrads grads, IConvScratch scratch)
    {
        if (grads.Db is not null) BiasGradFromOutputGrad(g, gd, yRelu, grads.Db);
        if (grads.Dx is null && grads.DW is null) return;
        int tileOut = _kernel == 5 && _tileOut == Winograd.TileOut ? Winograd.TileOut : 0; // F(4x4, 5x5); else the kernel's usual
        int slots = Winograd.FilterGradSlots(g.N, g.Cin, g.Cout, g.Oh, g.Ow, Im2ColConv.Slots, g.Kh, tileOut), wn = g.WeightLength;
        var part = grads.DW is null ? null : scratch.Floats(slots * wn, clear: false);
        Winograd.Backward(g, x, gd, yRelu, state!, grads.Dx, slots, part, grads.OverwriteDx, tileOut);
        if (part is not null) AddPartials(grads.DW.AsSpan(0, wn), part, slots, wn);
    }
}
