using Nabla.Kernels.Conv;

namespace Nabla.Tests;

/// <summary>Geometries for kernel tests, from the few sizes each kernel reads.</summary>
internal static class Geo
{
    /// <summary>An ungrouped stride-1 convolution with a k x k kernel and the given output size (any, as the
    /// Winograd and direct kernels accept).</summary>
    public static ConvGeometry Of(int n, int cin, int h, int w, int cout, int oh, int ow, int ph, int pw, int k = 3) =>
        new(n, cin, h, w, cout, 1, cin, k, k, 1, 1, ph, pw, 1, 1, oh, ow);

    /// <summary>A convolution (or pooling window) with every size given; the output size from PyTorch's formula.</summary>
    public static ConvGeometry Full(int n, int c, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) =>
        new(n, c, h, w, cout, 1, c, kh, kw, sh, sw, ph, pw, dh, dw,
            (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1);
}
