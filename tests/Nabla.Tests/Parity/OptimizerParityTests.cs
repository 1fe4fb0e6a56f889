using System.Text.Json;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;
using Xunit;
using Xunit.Abstractions;
using static Nabla.Tests.Parity.ParityFixture;

namespace Nabla.Tests.Parity;

/// <summary>
/// Optimizer trajectories against PyTorch: the same small model from the same initial state, trained on the
/// same fixed batch with cross-entropy for several steps. After every step the learning rate used, the loss,
/// every parameter and buffer, and each parameter's displacement θ_k − θ_0 (a stricter check than θ_k
/// itself, whose initial value dominates) are compared with <see cref="ParityMetric"/>.
/// </summary>
public class OptimizerParityTests(ITestOutputHelper log)
{
    public static TheoryData<string> Cases => Names("optim");

    [Theory, MemberData(nameof(Cases))]
    public void Trajectory_MatchesPyTorch(string name)
    {
        var c = Case("optim", name);
        var model = ModuleFactory.Build(c.GetProperty("model"));
        model.LoadStateDict(ToStateDict(c.GetProperty("state_dict")));
        model.Train();
        var initial = model.NamedParameters().ToDictionary(p => p.Name, p => p.Tensor.ToArray(), StringComparer.Ordinal);
        var x = ToTensor(c.GetProperty("input"));
        int[] targets = Ints(c.GetProperty("targets"));
        var spec = c.GetProperty("optimizer");
        var opt = BuildOptimizer(spec, model);
        double baseLr = spec.GetProperty("lr").GetDouble();
        var schedule = c.GetProperty("schedule");
        var clip = c.GetProperty("clip_max_norm");
        var state = model.StateDict().ToDictionary(p => p.Name, p => p.Tensor, StringComparer.Ordinal);

        var m = new ParityMetric();
        int step = 0;
        foreach (var expected in c.GetProperty("trajectory").EnumerateArray())
        {
            if (schedule.ValueKind != JsonValueKind.Null) opt.LearningRate = Schedule(schedule, baseLr, step);
            m.CheckScalar($"step{step}.lr", opt.LearningRate, expected.GetProperty("lr").GetDouble());
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), targets);
            m.CheckScalar($"step{step}.loss", loss.Item(), expected.GetProperty("loss").GetDouble());
            loss.Backward();
            if (clip.ValueKind != JsonValueKind.Null)
            {
                double norm = GradClip.ClipGradNorm(model.Parameters(), clip.GetDouble());
                m.CheckScalar($"step{step}.grad_norm", norm, expected.GetProperty("grad_norm").GetDouble());
            }
            opt.Step();

            var expectedState = expected.GetProperty("state");
            Assert.Equal(expectedState.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
            foreach (var p in expectedState.EnumerateObject())
            {
                m.Check($"step{step}.{p.Name}", state[p.Name], p.Value);
                if (!initial.TryGetValue(p.Name, out var theta0)) continue;
                var (shape, reference) = ToReference(p.Value);
                var theta = state[p.Name];
                var moved = new double[theta.Numel];
                var movedRef = new double[theta.Numel];
                for (int i = 0; i < moved.Length; i++) { moved[i] = (double)theta.Data[i] - theta0[i]; movedRef[i] = reference[i] - theta0[i]; }
                m.Check($"step{step}.{p.Name}.displacement", moved, theta.Shape, movedRef, shape);
            }
            step++;
        }
        Assert.True(step >= 5, $"{name}: the fixture has only {step} steps");
        m.AssertAll(log, "optim/" + name);
    }

    private static Optimizer BuildOptimizer(JsonElement s, Module model)
    {
        double lr = s.GetProperty("lr").GetDouble();
        float Fl(string k) => (float)s.GetProperty(k).GetDouble();
        return s.GetProperty("type").GetString() switch
        {
            "sgd" => new Sgd(model.NamedParameters(), lr, Fl("momentum"), Fl("dampening"), Fl("weight_decay"), s.GetProperty("nesterov").GetBoolean()),
            "adam" => new Adam(model.NamedParameters(), lr, Fl("beta1"), Fl("beta2"), Fl("eps"), Fl("weight_decay")),
            "adamw" => new AdamW(model.NamedParameters(), lr, Fl("beta1"), Fl("beta2"), Fl("eps"), Fl("weight_decay")),
            "adadelta" => new Adadelta(model.NamedParameters(), lr, Fl("rho"), Fl("eps"), Fl("weight_decay")),
            var t => throw new NotSupportedException($"fixture optimizer '{t}'"),
        };
    }

    private static double Schedule(JsonElement s, double baseLr, int epoch) => s.GetProperty("type").GetString() switch
    {
        "step" => LrSchedule.Step(baseLr, epoch, s.GetProperty("step_size").GetInt32(), s.GetProperty("gamma").GetDouble()),
        "cosine" => LrSchedule.Cosine(baseLr, epoch, s.GetProperty("t_max").GetInt32(), s.GetProperty("eta_min").GetDouble()),
        var t => throw new NotSupportedException($"fixture schedule '{t}'"),
    };
}
