using Nabla.Tensors;

namespace Nabla.Optim;

/// <summary>Gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradClip
{
    /// <summary>Scales all gradients by min(1, maxNorm / (‖g‖₂ + 1e-6)) where ‖g‖₂ is the global L2 norm.</summary>
    /// <returns>The norm before clipping.</returns>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var ps = parameters.Where(p => p.Grad is not null).ToList();
        double sq = 0;
        foreach (var p in ps) foreach (float g in p.Grad!.Span) sq += (double)g * g;
        double norm = Math.Sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
            foreach (var p in ps) System.Numerics.Tensors.TensorPrimitives.Multiply(p.Grad!.Span, (float)coef, p.Grad.Span);
        return norm;
    }
}
