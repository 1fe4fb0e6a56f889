using System.Text.Json;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;
using Xunit.Abstractions;
using static Nabla.Tests.Parity.ParityFixture;

namespace Nabla.Tests.Parity;

/// <summary>
/// Layers and containers against PyTorch: the same module (built from the fixture's constructor arguments,
/// weights loaded from PyTorch's state_dict) on the same input must give the same output, the same
/// gradients of L = Σ out ⊙ r with respect to the input and every parameter, and the same buffers
/// (BatchNorm running statistics) afterwards. Metric and bound: <see cref="ParityMetric"/>.
/// </summary>
public class ModuleParityTests(ITestOutputHelper log)
{
    public static TheoryData<string> ConvCases => Names("conv");
    public static TheoryData<string> PoolCases => Names("pool");
    public static TheoryData<string> BatchNormCases => Names("batchnorm");
    public static TheoryData<string> LinearCases => Names("linear");
    public static TheoryData<string> ActivationCases => Names("activations");
    public static TheoryData<string> CompositeCases => Names("composite");

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2d_MatchesPyTorch(string name) => Run("conv", name);

    /// <summary>The stride-1 convolution cases again with Winograd forced on (F(4x4, 3x3) for the 3x3 kernels, F(2x2, 5x5)
    /// and F(4x4, 5x5) for the 5x5 one): the forward and the adjoint backward against PyTorch, on shapes the automatic
    /// choice leaves to im2col (too few channels).</summary>
    [Theory]
    [InlineData("basic_k3", "winograd-f4x4-3x3")]
    [InlineData("no_bias", "winograd-f4x4-3x3")]
    [InlineData("batch10_chunked", "winograd-f4x4-3x3")]
    [InlineData("pad2_k5", "winograd-f2x2-5x5")]
    [InlineData("pad2_k5", "winograd-f4x4-5x5")]
    public void Conv2d_Winograd_MatchesPyTorch(string name, string algorithm) => Run("conv", name, algorithm);

    [Theory, MemberData(nameof(PoolCases))]
    public void Pooling_MatchesPyTorch(string name) => Run("pool", name);

    [Theory, MemberData(nameof(BatchNormCases))]
    public void BatchNorm_MatchesPyTorch(string name) => Run("batchnorm", name);

    [Theory, MemberData(nameof(LinearCases))]
    public void Linear_MatchesPyTorch(string name) => Run("linear", name);

    [Theory, MemberData(nameof(ActivationCases))]
    public void Activation_MatchesPyTorch(string name) => Run("activations", name);

    [Theory, MemberData(nameof(CompositeCases))]
    public void Container_MatchesPyTorch(string name) => Run("composite", name);

    /// <param name="algorithm">The convolution algorithm every Conv2d of the module asks for, or null for the registry's choice.</param>
    private void Run(string family, string name, string? algorithm = null)
    {
        var c = Case(family, name);
        var module = ModuleFactory.Build(c.GetProperty("module"));
        foreach (var (_, sub) in module.NamedModules())
            if (sub is Nabla.NN.Conv2d conv) conv.Options = conv.Options with { Algorithm = algorithm };
        module.LoadStateDict(ToStateDict(c.GetProperty("state_dict")));
        module.Train(c.GetProperty("training").GetBoolean());

        var x = ToTensor(c.GetProperty("input"));
        x.RequiresGrad = true;
        var output = module.Forward(x);
        var m = new ParityMetric();
        m.Check("output", output, c.GetProperty("output"));
        if (output.RequiresGrad)
            output.Backward(ToTensor(c.GetProperty("proj")));
        m.Check("grad.input", x.Grad, c.GetProperty("grad_input"));

        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Tensor, StringComparer.Ordinal);
        var expectedGrads = c.GetProperty("grads").EnumerateObject().ToList();
        Assert.Equal(expectedGrads.Select(g => g.Name).Order(StringComparer.Ordinal), parameters.Keys.Order(StringComparer.Ordinal));
        foreach (var g in expectedGrads) m.Check("grad." + g.Name, parameters[g.Name].Grad, g.Value);

        if (c.TryGetProperty("buffers_after", out JsonElement buffers))
        {
            var own = module.NamedBuffers().ToDictionary(b => b.Name, b => b.Tensor, StringComparer.Ordinal);
            foreach (var b in buffers.EnumerateObject()) m.Check("buffer." + b.Name, own[b.Name], b.Value);
        }
        m.AssertAll(log, $"{family}/{name}");
    }
}
