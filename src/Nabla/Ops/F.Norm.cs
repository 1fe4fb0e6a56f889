using Nabla.Autograd;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over dim 1 of (N, C), (N, C, L) or (N, C, H, W), as <c>torch.nn.functional.batch_norm</c>.
    /// </summary>
    /// <param name="x">Input; channels on dim 1.</param>
    /// <param name="runningMean">Running mean (C), updated in place in training mode; may be null.</param>
    /// <param name="runningVar">Running variance (C), updated in place in training mode with the unbiased batch variance.</param>
    /// <param name="weight">γ (C) or null.</param>
    /// <param name="bias">β (C) or null.</param>
    /// <param name="training">Use batch statistics (and update the running ones) instead of the running ones.</param>
    /// <param name="momentum">running = (1 − momentum)·running + momentum·batch (PyTorch's convention; default 0.1).</param>
    /// <param name="eps">Added to the variance (default 1e-5).</param>
    /// <remarks>y = (x − μ)/√(σ² + ε)·γ + β. Training backward:
    /// dx = (γ/√(σ²+ε))/M · (M·g − Σg − x̂·Σ(g·x̂)), with M = N·spatial.</remarks>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm: expected input with at least 2 dims (N, C, ...), got {ShapeUtil.Format(x.Shape)}");
        int n = x.Shape[0], c = x.Shape[1], inner = x.Numel / Math.Max(n * c, 1);
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
            if (t is not null && t.Numel != c) throw new ArgumentException($"BatchNorm: {name} has {t.Numel} elements, expected {c} (channels of input {ShapeUtil.Format(x.Shape)})");
        int m = n * inner;
        if (training && m <= 1) throw new ArgumentException($"BatchNorm: expected more than 1 value per channel when training, got input size {ShapeUtil.Format(x.Shape)}");
        if (!training && (runningMean is null || runningVar is null)) throw new ArgumentException("BatchNorm: evaluation mode needs running_mean and running_var");

        // Kept in float64: the training backward centres with the exact batch mean, so that Σ x̂ = 0 and the
        // gradient of a bias before the BatchNorm (zero in exact arithmetic) stays at float32 rounding level.
        var mean = new double[c];
        var invStd = new double[c];
        float[] xd = x.Data;
        for (int ch = 0; ch < c; ch++)
        {
            if (training)
            {
                double s = 0, ss = 0;
                for (int i = 0; i < n; i++)
                {
                    int b = (i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) s += xd[b + k];
                }
                double mu = s / m;
                for (int i = 0; i < n; i++)
                {
                    int b = (i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) { double d = xd[b + k] - mu; ss += d * d; }
                }
                double var = ss / m;
                mean[ch] = mu;
                invStd[ch] = 1.0 / Math.Sqrt(var + eps);
                if (runningMean is not null) runningMean.Data[ch] = (1 - momentum) * runningMean.Data[ch] + momentum * (float)mu;
                if (runningVar is not null) runningVar.Data[ch] = (1 - momentum) * runningVar.Data[ch] + momentum * (float)(ss / (m - 1));
            }
            else
            {
                mean[ch] = runningMean!.Data[ch];
                invStd[ch] = 1.0 / Math.Sqrt((double)runningVar!.Data[ch] + eps);
            }
        }
        var y = StepScope.RentTensor(x.Shape, clear: false);
        float[] yd = y.Data;
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                // (x − μ)·scale + β with x − μ in float64: a constant shift of x then cancels exactly in the output too.
                double g = weight?.Data[ch] ?? 1f, be = bias?.Data[ch] ?? 0f;
                double scale = invStd[ch] * g, mu = mean[ch];
                int b = (i * c + ch) * inner;
                for (int k = 0; k < inner; k++) yd[b + k] = (float)((xd[b + k] - mu) * scale + be);
            }
        Tensor?[] all = [x, weight, bias];
        if (!Graph.ShouldRecord(all)) return y;
        var inputs = all.Where(t => t is not null).Select(t => t!).ToArray();
        return Graph.Record(y, training ? "batch_norm_train" : "batch_norm_eval", inputs, gOut =>
        {
            float[] gd = gOut.Data;
            float[]? dx = x.RequiresGrad ? Graph.GradOf(x).Data : null;
            float[]? dw = weight is { RequiresGrad: true } ? Graph.GradOf(weight).Data : null;
            float[]? db = bias is { RequiresGrad: true } ? Graph.GradOf(bias).Data : null;
            for (int ch = 0; ch < c; ch++)
            {
                double sg = 0, sgx = 0;
                double mu = mean[ch], istd = invStd[ch];
                for (int i = 0; i < n; i++)
                {
                    int b = (i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) { sg += gd[b + k]; sgx += gd[b + k] * ((xd[b + k] - mu) * istd); }
                }
                if (dw is not null) dw[ch] += (float)sgx;
                if (db is not null) db[ch] += (float)sg;
                if (dx is null) continue;
                float gamma = weight?.Data[ch] ?? 1f;
                if (training)
                {
                    double k1 = gamma * istd / m;
                    for (int i = 0; i < n; i++)
                    {
                        int b = (i * c + ch) * inner;
                        for (int k = 0; k < inner; k++)
                        {
                            double xh = (xd[b + k] - mu) * istd;
                            dx[b + k] += (float)(k1 * ((double)m * gd[b + k] - sg - xh * sgx));
                        }
                    }
                }
                else
                {
                    double k1 = gamma * istd;
                    for (int i = 0; i < n; i++)
                    {
                        int b = (i * c + ch) * inner;
                        for (int k = 0; k < inner; k++) dx[b + k] += (float)(k1 * gd[b + k]);
                    }
                }
            }
        });
    }

    /// <summary>Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1−p).</summary>
    /// <param name="x">Input, any shape.</param>
    /// <param name="p">Drop probability in [0, 1]; 1 zeroes everything.</param>
    /// <param name="training">Off: returns <paramref name="x"/> itself.</param>
    /// <param name="rng">The layer's generator: each call in training (p &gt; 0) draws one 64-bit key from it, and the
    /// mask is a hash of (key, element index) (<see cref="Kernels.DropoutMask"/>), so it does not depend on the
    /// thread count and the generator's state after the call (saved in checkpoints) is one draw further.</param>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor x, float p, bool training, Rng rng)
    {
        if (p is < 0f or > 1f || float.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability has to be between 0 and 1, but got {p}");
        if (!training || p == 0f) return x;
        ulong key = rng.NextUInt64();
        var y = StepScope.RentTensor(x.Shape, clear: false);
        Kernels.DropoutMask.Apply(key, p, x.Span, y.Span, accumulate: false);
        if (!Graph.ShouldRecord(x)) return y;
        // The backward draws the same mask again from the key instead of keeping it (hashing is cheaper than a
        // buffer written here and read back there).
        return Graph.Record(y, "dropout", [x], g =>
        {
            var dx = Graph.GradToWrite(x, out bool accumulate);
            Kernels.DropoutMask.Apply(key, p, g.Span, dx.Span, accumulate);
        });
    }
}
