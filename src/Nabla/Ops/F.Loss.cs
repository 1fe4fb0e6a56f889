using Nabla.Autograd;
using Nabla.Tensors;

namespace Nabla.Ops;

/// <summary>How a loss reduces over the batch, as PyTorch's <c>reduction</c>.</summary>
public enum Reduction
{
    /// <summary>Average over elements (the default).</summary>
    Mean,
    /// <summary>Sum over elements.</summary>
    Sum,
}

public static partial class F
{
    /// <summary>Cross-entropy from logits, fused with log-softmax: ℓ_n = logsumexp(x_n) − x_n[t_n].</summary>
    /// <param name="logits">Shape (N, C).</param>
    /// <param name="targets">N class indices in [0, C).</param>
    /// <param name="reduction">Mean (default) or sum over the batch.</param>
    /// <remarks>Backward: dx_n = (softmax(x_n) − onehot(t_n)) · g (/ N for the mean).</remarks>
    /// <exception cref="ArgumentException">Shapes disagree or a target is out of range.</exception>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean)
    {
        var (n, c) = CheckClassification(logits, targets, "CrossEntropy");
        var t = targets.ToArray();
        var probs = StepScope.RentFloats(n * c, clear: false);
        double total = 0;
        float[] x = logits.Data;
        for (int i = 0; i < n; i++)
        {
            var (m, ls) = LseParts(x, i * c, c, 1);
            total += (double)m - x[i * c + t[i]] + ls;
            for (int j = 0; j < c; j++) probs[i * c + j] = MathF.Exp(x[i * c + j] - m - ls);
        }
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(n, 1) : 1f;
        var o = new Tensor([(float)(total * scale)], []);
        if (!Graph.ShouldRecord(logits)) return o;
        return Graph.Record(o, "cross_entropy", [logits], g =>
        {
            float s = g.Data[0] * scale;
            float[] dx = Graph.GradOf(logits).Data;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < c; j++) dx[i * c + j] += s * probs[i * c + j];
                dx[i * c + t[i]] -= s;
            }
        });
    }

    /// <summary>Negative log-likelihood of log-probabilities: ℓ_n = −x_n[t_n].</summary>
    public static Tensor NllLoss(Tensor logProbs, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean)
    {
        var (n, c) = CheckClassification(logProbs, targets, "NllLoss");
        var t = targets.ToArray();
        double total = 0;
        for (int i = 0; i < n; i++) total -= logProbs.Data[i * c + t[i]];
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(n, 1) : 1f;
        var o = new Tensor([(float)(total * scale)], []);
        if (!Graph.ShouldRecord(logProbs)) return o;
        return Graph.Record(o, "nll_loss", [logProbs], g =>
        {
            float[] dx = Graph.GradOf(logProbs).Data;
            for (int i = 0; i < n; i++) dx[i * c + t[i]] -= g.Data[0] * scale;
        });
    }

    /// <summary>Mean squared error: mean((a − b)²) (or the sum).</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(input, target, "MseLoss");
        var d = Sub(input, target);
        var sq = Sum(Mul(d, d));
        return reduction == Reduction.Mean ? MulScalar(sq, 1f / Math.Max(input.Numel, 1)) : sq;
    }

    /// <summary>Binary cross-entropy with logits, stably: max(x,0) − x·y + log(1 + e^{−|x|}).</summary>
    /// <remarks>Backward: dx = σ(x) − y.</remarks>
    public static Tensor BceWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(logits, target, "BceWithLogits");
        int n = logits.Numel;
        float[] x = logits.Data, y = target.Data;
        double total = 0;
        for (int i = 0; i < n; i++)
            total += Math.Max(x[i], 0) - x[i] * y[i] + Math.Log(1 + Math.Exp(-Math.Abs(x[i])));
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(n, 1) : 1f;
        var o = new Tensor([(float)(total * scale)], []);
        if (!Graph.ShouldRecord(logits, target)) return o;
        return Graph.Record(o, "bce_with_logits", [logits, target], g =>
        {
            float s = g.Data[0] * scale;
            if (logits.RequiresGrad)
            {
                var dx = Graph.GradOf(logits).Data;
                for (int i = 0; i < n; i++) dx[i] += s * (1f / (1f + MathF.Exp(-x[i])) - y[i]);
            }
            if (target.RequiresGrad)
            {
                var dy = Graph.GradOf(target).Data;
                for (int i = 0; i < n; i++) dy[i] -= s * x[i];
            }
        });
    }

    private static (int n, int c) CheckClassification(Tensor logits, ReadOnlySpan<int> targets, string op)
    {
        if (logits.Rank != 2) throw new ArgumentException($"{op}: expected input of shape (N, C), got {ShapeUtil.Format(logits.Shape)}");
        int n = logits.Shape[0], c = logits.Shape[1];
        if (targets.Length != n) throw new ArgumentException($"{op}: expected {n} targets (batch size), got {targets.Length}");
        for (int i = 0; i < n; i++)
            if ((uint)targets[i] >= (uint)c) throw new ArgumentException($"{op}: target {targets[i]} at index {i} is out of bounds for {c} classes");
        return (n, c);
    }
}
