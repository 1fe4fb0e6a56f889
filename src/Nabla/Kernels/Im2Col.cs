using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// The im2col layout that lowers a 2-D convolution to a matrix product: <see cref="Im2ColBatch.Unfold"/> (im2col)
/// lays out every receptive field as a column, <see cref="Im2ColBatch.Fold"/> (col2im) is its adjoint and sums columns
/// back into an image (one image is a batch of one).
/// </summary>
/// <remarks>
/// Names and layout follow <c>torch.nn.functional.unfold</c> / <c>fold</c>. For input C x H x W and a kernel
/// kh x kw with stride (sh, sw), padding (ph, pw) and dilation (dh, dw):
/// OH = ⌊(H + 2ph − dh(kh − 1) − 1) / sh⌋ + 1, likewise OW, and
/// <c>cols[(ci·kh + i)·kw + j, oy·OW + ox] = x[ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw]</c> (0 outside the image).
/// Convolution forward is then <c>Y (Cout x OH·OW) = W (Cout x C·kh·kw) · cols</c>; backward is
/// <c>dW += dY · colsᵀ</c> and <c>dcols = Wᵀ · dY</c> followed by col2im into dX.
/// Groups are the caller's business (slice the channels).
/// </remarks>
public static class Im2Col
{
    /// <summary>The output length of a convolution or pooling along one axis: ⌊(size + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1.</summary>
    /// <returns>The output size; 0 or less when the kernel does not fit.</returns>
    public static int OutputSize(int size, int kernel, int stride, int pad, int dilation) =>
        (size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;

}
