using System.Text.Json;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;
using Xunit.Abstractions;
using static Nabla.Tests.Parity.ParityFixture;

namespace Nabla.Tests.Parity;

/// <summary>
/// Ops of <see cref="F"/> against PyTorch: softmax family, losses, matmul, broadcasting arithmetic, unary
/// functions, reductions and shape ops. Output and the gradient of L = Σ out ⊙ r with respect to every
/// input are compared with <see cref="ParityMetric"/>.
/// </summary>
public class FunctionalParityTests(ITestOutputHelper log)
{
    public static TheoryData<string> Cases => Names("functional");

    [Theory, MemberData(nameof(Cases))]
    public void Op_MatchesPyTorch(string name)
    {
        var c = Case("functional", name);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(ToTensor).ToArray();
        foreach (var t in inputs) t.RequiresGrad = true;
        var args = c.GetProperty("args");
        int[] targets = c.TryGetProperty("targets", out var te) ? Ints(te) : [];
        var output = Apply(c.GetProperty("op").GetString()!, args, inputs, targets);

        var m = new ParityMetric();
        m.Check("output", output, c.GetProperty("output"));
        output.Backward(ToTensor(c.GetProperty("proj")));
        var grads = c.GetProperty("grad_inputs").EnumerateArray().ToArray();
        Assert.Equal(inputs.Length, grads.Length);
        for (int i = 0; i < inputs.Length; i++)
            if (grads[i].ValueKind != JsonValueKind.Null) m.Check($"grad.input{i}", inputs[i].Grad, grads[i]);
        m.AssertAll(log, "functional/" + name);
    }

    private static Tensor Apply(string op, JsonElement args, Tensor[] x, int[] targets)
    {
        int I(string k) => args.GetProperty(k).GetInt32();
        float Fl(string k) => (float)args.GetProperty(k).GetDouble();
        bool Keep() => args.GetProperty("keepdim").GetBoolean();
        bool HasDim() => args.TryGetProperty("dim", out _);
        Reduction Red() => args.GetProperty("reduction").GetString() switch
        {
            "mean" => Reduction.Mean,
            "sum" => Reduction.Sum,
            var r => throw new NotSupportedException($"reduction '{r}'"),
        };
        return op switch
        {
            "cross_entropy" => F.CrossEntropy(x[0], targets, Red()),
            "nll_loss" => F.NllLoss(x[0], targets, Red()),
            "mse_loss" => F.MseLoss(x[0], x[1], Red()),
            "bce_with_logits" => F.BceWithLogits(x[0], x[1], Red()),
            "softmax" => F.Softmax(x[0], I("dim")),
            "log_softmax" => F.LogSoftmax(x[0], I("dim")),
            "logsumexp" => F.LogSumExp(x[0], I("dim"), Keep()),
            "matmul" => F.MatMul(x[0], x[1]),
            "add" => F.Add(x[0], x[1]),
            "sub" => F.Sub(x[0], x[1]),
            "mul" => F.Mul(x[0], x[1]),
            "div" => F.Div(x[0], x[1]),
            "maximum" => F.Maximum(x[0], x[1]),
            "minimum" => F.Minimum(x[0], x[1]),
            "neg" => F.Neg(x[0]),
            "exp" => F.Exp(x[0]),
            "log" => F.Log(x[0]),
            "sqrt" => F.Sqrt(x[0]),
            "abs" => F.Abs(x[0]),
            "pow" => F.Pow(x[0], Fl("p")),
            "clamp" => F.Clamp(x[0], Fl("min"), Fl("max")),
            "add_scalar" => F.AddScalar(x[0], Fl("s")),
            "mul_scalar" => F.MulScalar(x[0], Fl("s")),
            "sum" => HasDim() ? F.Sum(x[0], I("dim"), Keep()) : F.Sum(x[0]),
            "mean" => HasDim() ? F.Mean(x[0], I("dim"), Keep()) : F.Mean(x[0]),
            "max" => F.Max(x[0], I("dim"), Keep()),
            "reshape" => F.Reshape(x[0], Ints(args.GetProperty("shape"))),
            "permute" => F.Permute(x[0], Ints(args.GetProperty("perm"))),
            "transpose" => F.Transpose(x[0], I("dim0"), I("dim1")),
            "cat" => F.Cat(x, I("dim")),
            "stack" => F.Stack(x, I("dim")),
            "slice" => F.Slice(x[0], I("dim"), I("start"), I("end")),
            _ => throw new NotSupportedException($"fixture op '{op}' has no Nabla counterpart"),
        };
    }
}
