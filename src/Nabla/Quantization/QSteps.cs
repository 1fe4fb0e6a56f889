using Nabla.Kernels;
using Nabla.Kernels.Quant;

namespace Nabla.Quantization;

/// <summary>One stage of the int8 pipeline: NHWC u8 images of a fixed shape in, the next shape out.</summary>
internal abstract class QStep
{
    /// <summary>Per-image input shape (H, W, C); flat features are (1, 1, F).</summary>
    public (int H, int W, int C) In { get; init; }

    /// <summary>Per-image output shape.</summary>
    public (int H, int W, int C) Out { get; init; }

    /// <summary>What the step is, for profiles: the layer index and kind, e.g. "0 conv2d 1→6 5x5 +relu".</summary>
    public string Label { get; init; } = "";

    public int InSize => In.H * In.W * In.C;
    public int OutSize => Out.H * Out.W * Out.C;

    /// <summary>Row stride of this step's u8 output per image (OutSize rounded up to 4 for a following GEMM).</summary>
    public int OutStride => QWeights.PadK(OutSize);

    /// <summary>Runs images [0, n): input rows <paramref name="inStride"/> bytes apart.</summary>
    public abstract void Run(int n, byte[] input, int inStride, byte[] output, float[]? logits);
}

/// <summary>conv2d (+ fused ReLU) through <see cref="QGemm"/>'s implicit im2col: each image is padded once, then the
/// GEMM reads every output pixel's window straight from it (one segment per kernel row); images split over the workers.</summary>
internal sealed class QConvStep : QStep
{
    public required QWindow Geometry { get; init; }
    public required QWeights Weights { get; init; }
    public required int[] Bias32 { get; init; }
    public required float[] Multiplier { get; init; }
    public required QAct InputAct { get; init; }
    public required QAct? OutputAct { get; init; }

    [ThreadStatic] private static byte[]? t_padded;

    public override void Run(int n, byte[] input, int inStride, byte[] output, float[]? logits)
    {
        Workers.Run(n, (this, input, inStride, output, logits), static (s, img) =>
        {
            var (step, input, inStride, output, logits) = s;
            var g = step.Geometry;
            int need = QOps.PaddedSize(g, QGemm.PaddedSlack);
            if (t_padded is null || t_padded.Length < need) t_padded = new byte[need];
            QOps.Pad(new ReadOnlySpan<byte>(input, img * inStride, step.InSize), g, (byte)step.InputAct.ZeroPoint, QGemm.PaddedSlack, t_padded);
            int pixels = g.OH * g.OW, cout = step.Weights.N;
            unsafe
            {
                fixed (byte* pp = t_padded)
                fixed (int* pb = step.Bias32)
                fixed (float* pm = step.Multiplier)
                {
                    if (step.OutputAct is { } oa)
                        fixed (byte* po = output.AsSpan(img * step.OutStride, step.OutSize))
                            QGemm.RunConv(pp, g, 0, pixels, step.Weights, pb, pm, oa.ZeroPoint, po, null, cout);
                    else
                        fixed (float* pl = logits.AsSpan(img * step.OutSize, step.OutSize))
                            QGemm.RunConv(pp, g, 0, pixels, step.Weights, pb, pm, 0, null, pl, cout);
                }
            }
        });
    }
}

/// <summary>linear (+ fused ReLU) on flattened NHWC rows through <see cref="QGemm"/>, rows split over the workers.</summary>
internal sealed class QLinearStep : QStep
{
    public required QWeights Weights { get; init; }
    public required int[] Bias32 { get; init; }
    public required float[] Multiplier { get; init; }
    public required QAct? OutputAct { get; init; }

    public override void Run(int n, byte[] input, int inStride, byte[] output, float[]? logits)
    {
        int parts = Math.Max(1, Math.Min(Workers.Count * 2, (n + QGemm.MR - 1) / QGemm.MR));
        Workers.Run(parts, (this, n, parts, input, inStride, output, logits), static (s, part) =>
        {
            var (step, n, parts, input, inStride, output, logits) = s;
            int blocks = (n + QGemm.MR - 1) / QGemm.MR;
            var (b0, b1) = Workers.Share(blocks, parts, part);
            int r0 = b0 * QGemm.MR, r1 = Math.Min(n, b1 * QGemm.MR);
            if (r1 <= r0) return;
            var a = new ReadOnlySpan<byte>(input, r0 * inStride, (r1 - r0 - 1) * inStride + step.Weights.KPadded);
            if (step.OutputAct is { } oa)
                QGemm.RunU8(r1 - r0, a, inStride, step.Weights, step.Bias32, step.Multiplier, oa.ZeroPoint,
                    output.AsSpan(r0 * step.OutStride), step.OutStride);
            else
                QGemm.RunF32(r1 - r0, a, inStride, step.Weights, step.Bias32, step.Multiplier,
                    logits.AsSpan(r0 * step.OutSize), step.OutSize);
        });
    }
}

/// <summary>max pooling on u8 codes (monotone, so it commutes with the quantisation).</summary>
internal sealed class QMaxPoolStep : QStep
{
    public required QWindow Geometry { get; init; }

    public override void Run(int n, byte[] input, int inStride, byte[] output, float[]? logits) =>
        Workers.Run(n, (this, input, inStride, output), static (s, img) =>
        {
            var (step, input, inStride, output) = s;
            QOps.MaxPool(new ReadOnlySpan<byte>(input, img * inStride, step.InSize), step.Geometry,
                output.AsSpan(img * step.OutStride, step.OutSize));
        });
}

/// <summary>A ReLU not fused into a conv/linear: q = max(q, zero point).</summary>
internal sealed class QReluStep : QStep
{
    public required byte ZeroPoint { get; init; }

    public override void Run(int n, byte[] input, int inStride, byte[] output, float[]? logits)
    {
        for (int i = 0; i < n; i++)
        {
            new ReadOnlySpan<byte>(input, i * inStride, InSize).CopyTo(output.AsSpan(i * OutStride));
            QOps.Relu(output.AsSpan(i * OutStride, OutSize), ZeroPoint);
        }
    }
}
