using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 7. The smooth maximum lse_β(x) = (1/β) log Σ exp(β x_i) satisfies max x ≤ lse_β(x) ≤ max x + log(n)/β,
/// so it tends to max x as β → ∞. Its gradient is softmax(β x) (autograd vs F.Softmax), which tends to the one-hot
/// vector of the argmax: ‖softmax(βx) − e_argmax‖₁ = 2(1 − p_max) ≤ 2(n − 1) exp(−β Δ), Δ the gap between the two
/// largest entries.
/// </summary>
public static class LogSumExpLimit
{
    /// <summary>float32: lse_β is computed as (βm + log Σ exp(β(x − m)))/β, rounding ~1e-7 relative to max x.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>One β.</summary>
    /// <param name="Beta">β.</param>
    /// <param name="Gap">lse_β(x) − max x.</param>
    /// <param name="Bound">log(n)/β.</param>
    /// <param name="GradVsSoftmax">max |∇lse_β (autograd) − softmax(βx) (F.Softmax)|.</param>
    /// <param name="DistanceToOneHot">‖∇lse_β − e_argmax‖₁.</param>
    /// <param name="OneHotBound">2(n − 1) exp(−β Δ).</param>
    public sealed record Row(double Beta, double Gap, double Bound, double GradVsSoftmax, double DistanceToOneHot, double OneHotBound);

    /// <summary>The outcome.</summary>
    /// <param name="X">The vector.</param>
    /// <param name="Rows">One per β.</param>
    public sealed record Result(float[] X, IReadOnlyList<Row> Rows) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Rows.All(r => r.Gap >= -Tolerance && r.Gap <= r.Bound + Tolerance && r.GradVsSoftmax <= Tolerance
                                           && r.DistanceToOneHot <= r.OneHotBound + Tolerance);
    }

    /// <summary>Runs with a random x of 10 entries and β = 1, 10, 100, 1000.</summary>
    public static Result Run(TextWriter o) => Run(o, Tensor.Uniform(new Rng(7), 0, 1, 10).ToArray(), [1, 10, 100, 1000]);

    /// <summary>Runs for a given vector and list of β.</summary>
    public static Result Run(TextWriter o, float[] values, double[] betas)
    {
        int n = values.Length;
        var sorted = values.OrderDescending().ToArray();
        double max = sorted[0], delta = sorted[0] - sorted[1];
        int argmax = Array.IndexOf(values, sorted[0]);
        o.WriteLine($"x = [{string.Join(", ", values.Select(v => Dense.F(v)))}], n = {n}, max x = {Dense.F(max)} at index {argmax}, gap to the runner-up Δ = {Dense.F(delta)}.");
        o.WriteLine($"{"β",6} {"lse_β − max",13} {"log(n)/β",10} {"|∇ − softmax|",14} {"‖∇ − onehot‖₁",14} {"2(n−1)e^(−βΔ)",14}");
        var rows = new List<Row>();
        foreach (double beta in betas)
        {
            var x = Tensor.FromArray((float[])values.Clone(), n);
            x.RequiresGrad = true;
            var lse = F.LogSumExp(x * (float)beta, 0) / (float)beta;
            lse.Backward();
            var grad = x.Grad!;
            var soft = F.Softmax(Tensor.FromArray(values.Select(v => v * (float)beta).ToArray(), n), 0);
            double gap = lse.Item() - max;
            double toOneHot = grad.ToArray().Select((g, i) => Math.Abs(g - (i == argmax ? 1 : 0))).Sum();
            var row = new Row(beta, gap, Math.Log(n) / beta, Dense.MaxAbsDiff(grad, soft), toOneHot, 2 * (n - 1) * Math.Exp(-beta * delta));
            rows.Add(row);
            o.WriteLine($"{beta,6} {Dense.F(row.Gap),13} {Dense.F(row.Bound),10} {Dense.F(row.GradVsSoftmax),14} {Dense.F(row.DistanceToOneHot),14} {Dense.F(row.OneHotBound),14}");
        }
        var r = new Result(values, rows);
        o.WriteLine($"0 ≤ lse_β − max ≤ log(n)/β, ∇lse_β = softmax(βx) and the distance to one-hot within its bound at every β: {(r.Holds ? "yes" : "NO")}.");
        return r;
    }
}
