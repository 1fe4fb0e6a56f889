using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Nabla.Autograd;
using Nabla.Kernels;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    private enum BinOp { Add, Sub, Mul, Div, Max, Min }

    /// <summary>Effectively <c>out = a + b</c>, broadcasting as PyTorch.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinOp.Add);
    /// <summary>Effectively <c>out = a - b</c>, broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, BinOp.Sub);
    /// <summary>Effectively <c>out = a * b</c>, broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, BinOp.Mul);
    /// <summary>Effectively <c>out = a / b</c>, broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, BinOp.Div);
    /// <summary>Elementwise maximum; the gradient goes to a where a ≥ b (ties: half to each, as PyTorch).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(a, b, BinOp.Max);
    /// <summary>Elementwise minimum; ties split the gradient in half.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary(a, b, BinOp.Min);

    private static Tensor Binary(Tensor a, Tensor b, BinOp op)
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var o = StepScope.RentTensor(shape, clear: false);
        float[] ad = a.Data, bd = b.Data, od = o.Data;
        if (ShapeUtil.Equal(a.Shape, b.Shape))
        {
            Span<float> x = a.Span, y = b.Span, z = o.Span;
            switch (op)
            {
                case BinOp.Add: TensorPrimitives.Add(x, y, z); break;
                case BinOp.Sub: TensorPrimitives.Subtract(x, y, z); break;
                case BinOp.Mul: TensorPrimitives.Multiply(x, y, z); break;
                case BinOp.Div: TensorPrimitives.Divide(x, y, z); break;
                case BinOp.Max: for (int i = 0; i < z.Length; i++) z[i] = MaxNaN(x[i], y[i]); break;
                case BinOp.Min: for (int i = 0; i < z.Length; i++) z[i] = MinNaN(x[i], y[i]); break;
            }
        }
        else
        {
            var sa = Elementwise.BroadcastStrides(a.Shape, shape);
            var sb = Elementwise.BroadcastStrides(b.Shape, shape);
            Func<float, float, float> f = op switch
            {
                BinOp.Add => (x, y) => x + y,
                BinOp.Sub => (x, y) => x - y,
                BinOp.Mul => (x, y) => x * y,
                BinOp.Div => (x, y) => x / y,
                BinOp.Max => MaxNaN,
                _ => MinNaN,
            };
            Elementwise.ForEachBroadcast(shape, sa, sb, (oi, ai, bi) => od[oi] = f(ad[ai], bd[bi]));
        }
        if (!Graph.ShouldRecord(a, b)) return o;
        return Graph.Record(o, op.ToString().ToLowerInvariant(), [a, b], g =>
        {
            Tensor? ga = a.RequiresGrad ? StepScope.RentTensor(shape, clear: false) : null;
            Tensor? gb = b.RequiresGrad ? StepScope.RentTensor(shape, clear: false) : null;
            var sa = Elementwise.BroadcastStrides(a.Shape, shape);
            var sb = Elementwise.BroadcastStrides(b.Shape, shape);
            float[] gd = g.Data;
            float[]? gad = ga?.Data, gbd = gb?.Data;
            Elementwise.ForEachBroadcast(shape, sa, sb, (oi, ai, bi) =>
            {
                float x = ad[ai], y = bd[bi], go = gd[oi];
                float da, db;
                switch (op)
                {
                    case BinOp.Add: da = go; db = go; break;
                    case BinOp.Sub: da = go; db = -go; break;
                    case BinOp.Mul: da = go * y; db = go * x; break;
                    case BinOp.Div: da = go / y; db = -go * x / (y * y); break;
                    case BinOp.Max: (da, db) = x > y ? (go, 0f) : x < y ? (0f, go) : (go * 0.5f, go * 0.5f); break;
                    default: (da, db) = x < y ? (go, 0f) : x > y ? (0f, go) : (go * 0.5f, go * 0.5f); break;
                }
                if (gad is not null) gad[oi] = da;
                if (gbd is not null) gbd[oi] = db;
            });
            if (ga is not null) AccumulateReduced(Graph.GradOf(a), ga, a.Shape);
            if (gb is not null) AccumulateReduced(Graph.GradOf(b), gb, b.Shape);
        });
    }

    private static float MaxNaN(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : Math.Max(x, y);
    private static float MinNaN(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : Math.Min(x, y);

    /// <summary>Effectively <c>out = a + s</c>.</summary>
    public static Tensor AddScalar(Tensor a, float s) =>
        Unary(a, "add_scalar", (x, o) => TensorPrimitives.Add(x, s, o), (x, y, g, d) => Elementwise.AddInPlace(d, g));

    /// <summary>Effectively <c>out = a * s</c>.</summary>
    public static Tensor MulScalar(Tensor a, float s) =>
        Unary(a, "mul_scalar", (x, o) => TensorPrimitives.Multiply(x, s, o), (x, y, g, d) => Elementwise.AddScaledInPlace(d, g, s));

    /// <summary>Effectively <c>out = -a</c>.</summary>
    public static Tensor Neg(Tensor a) => MulScalar(a, -1f);

    /// <summary>Effectively <c>out = exp(a)</c>; d/da = out.</summary>
    public static Tensor Exp(Tensor a) =>
        Unary(a, "exp", (x, o) => TensorPrimitives.Exp(x, o), (x, y, g, d) => Elementwise.AddProductInPlace(d, g, y));

    /// <summary>Effectively <c>out = ln(a)</c>; d/da = 1/a.</summary>
    public static Tensor Log(Tensor a) =>
        Unary(a, "log", (x, o) => TensorPrimitives.Log(x, o), (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] / x[i]; });

    /// <summary>Effectively <c>out = √a</c>; d/da = 1/(2√a).</summary>
    public static Tensor Sqrt(Tensor a) =>
        Unary(a, "sqrt", (x, o) => TensorPrimitives.Sqrt(x, o), (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * 0.5f / y[i]; });

    /// <summary>Effectively <c>out = |a|</c>; d/da = sign(a) (0 at 0, as PyTorch).</summary>
    public static Tensor Abs(Tensor a) =>
        Unary(a, "abs", (x, o) => TensorPrimitives.Abs(x, o), (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * MathF.Sign(x[i]); });

    /// <summary>Effectively <c>out = a^p</c>; d/da = p a^(p-1).</summary>
    public static Tensor Pow(Tensor a, float p) =>
        Unary(a, "pow", (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = MathF.Pow(x[i], p); },
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) d[i] += g[i] * (p == 0 ? 0 : p * MathF.Pow(x[i], p - 1)); });

    /// <summary>Effectively <c>out = min(max(a, lo), hi)</c>; the gradient passes where lo ≤ a ≤ hi.</summary>
    public static Tensor Clamp(Tensor a, float lo = float.NegativeInfinity, float hi = float.PositiveInfinity)
    {
        if (lo > hi) throw new ArgumentException($"Clamp: lo ({lo}) must not exceed hi ({hi})");
        return Unary(a, "clamp", (x, o) => { for (int i = 0; i < o.Length; i++) o[i] = Math.Clamp(x[i], lo, hi); },
            (x, y, g, d) => { for (int i = 0; i < d.Length; i++) if (x[i] >= lo && x[i] <= hi) d[i] += g[i]; });
    }

    /// <summary>A forward kernel: (input, output).</summary>
    internal delegate void UnaryForward(ReadOnlySpan<float> x, Span<float> o);
    /// <summary>A backward kernel: (input, output, output grad, input grad to accumulate into).</summary>
    internal delegate void UnaryBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> d);

    internal static Tensor Unary(Tensor a, string name, UnaryForward forward, UnaryBackward backward)
    {
        var o = StepScope.RentTensor(a.Shape, clear: false);
        forward(a.Span, o.Span);
        if (!Graph.ShouldRecord(a)) return o;
        return Graph.Record(o, name, [a], g => backward(a.Span, o.Span, g.Span, Graph.GradOf(a).Span));
    }
}
