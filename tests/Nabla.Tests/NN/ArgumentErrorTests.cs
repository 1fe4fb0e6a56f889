using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.NN;

public class ArgumentErrorTests
{
    private static void Throws(Action a, params string[] fragments)
    {
        var e = Assert.ThrowsAny<ArgumentException>(a);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact] public void Conv2d_ChannelsNotDivisibleByGroups() => Throws(() => new Conv2d(3, 4, (3, 3), groups: 2), "in_channels must be divisible by groups", "in_channels=3", "groups=2");
    [Fact] public void Conv2d_NonPositiveKernel() => Throws(() => new Conv2d(3, 4, (0, 3)), "kernel_size", "0x3");
    [Fact] public void Conv2d_NegativePadding() => Throws(() => new Conv2d(3, 4, (3, 3), padding: (-1, 0)), "padding", "-1x0");
    [Fact] public void Conv2d_WrongInputChannels() => Throws(() => new Conv2d(3, 4, (3, 3)).Forward(new Tensor(1, 2, 5, 5)), "expected input [1, 2, 5, 5] to have 3 channels, but got 2");
    [Fact] public void Conv2d_KernelLargerThanPaddedInput() => Throws(() => new Conv2d(1, 1, (5, 5), padding: (1, 1)).Forward(new Tensor(1, 1, 2, 2)), "(4 x 4)", "(5 x 5)", "can't be greater");
    [Fact] public void Linear_InFeaturesMismatch() => Throws(() => new Linear(4, 2).Forward(new Tensor(3, 5)), "in_features is 4", "[3, 5]");
    [Fact] public void Linear_NonPositive() => Throws(() => new Linear(0, 2), "in_features must be positive, got 0");
    [Fact] public void MaxPool_KernelLargerThanInput() => Throws(() => new MaxPool2d((3, 3)).Forward(new Tensor(1, 1, 2, 2)), "larger than the padded input 2x2");
    [Fact] public void MaxPool_PaddingMoreThanHalfKernel() => Throws(() => new MaxPool2d((2, 2), padding: (2, 2)).Forward(new Tensor(1, 1, 6, 6)), "at most half of kernel size");
    [Fact] public void BatchNorm_ChannelMismatch() => Throws(() => new BatchNorm2d(3).Forward(new Tensor(2, 4, 2, 2)), "expected 3 channels", "[2, 4, 2, 2]");
    [Fact] public void BatchNorm_SingleValuePerChannelInTraining() => Throws(() => new BatchNorm1d(3).Forward(new Tensor(1, 3)), "more than 1 value per channel");
    [Fact] public void Dropout_BadProbability() => Throws(() => new Dropout(1.5f), "between 0 and 1", "1.5");
    [Fact] public void MatMul_InnerMismatch() => Throws(() => F.MatMul(new Tensor(2, 3), new Tensor(4, 5)), "expected b.shape[-2] = 3, got 4");
    [Fact] public void Add_NotBroadcastable() => Throws(() => F.Add(new Tensor(2, 3), new Tensor(4, 3)), "[2, 3]", "[4, 3]", "cannot be broadcast");
    [Fact] public void Reshape_WrongSize() => Throws(() => F.Reshape(new Tensor(2, 3), 4, 2), "[4, 2]", "size 6");
    [Fact] public void Cat_SizeMismatch() => Throws(() => F.Cat([new Tensor(2, 3), new Tensor(3, 4)], 0), "dim 1: 3 vs 4");
    [Fact] public void CrossEntropy_TargetOutOfRange() => Throws(() => F.CrossEntropy(new Tensor(2, 10), new[] { 1, 12 }), "target 12", "10 classes");
    [Fact] public void Sgd_NegativeLr() => Throws(() => new Sgd(new Linear(2, 2).NamedParameters(), -1), "Invalid learning rate: -1");
    [Fact] public void Adam_BadBeta() => Throws(() => new Adam(new Linear(2, 2).NamedParameters(), beta1: 1f), "beta parameter at index 0");

    [Fact]
    public void LoadStateDict_ListsMissingUnexpectedAndMisShaped()
    {
        var m = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        var state = m.StateDict().ToDictionary(kv => kv.Name, kv => kv.Tensor);
        state.Remove("1.running_var");
        state["0.weight"] = new Tensor(2, 4);
        state["2.weight"] = new Tensor(1);
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state));
        Assert.Contains("missing key(s): 1.running_var", e.Message);
        Assert.Contains("unexpected key(s): 2.weight", e.Message);
        Assert.Contains("0.weight: expected [2, 3], found [2, 4]", e.Message);
    }

    [Fact]
    public void StateDict_UsesPyTorchNames()
    {
        var m = new Sequential(new Conv2d(1, 2, (3, 3)), new BatchNorm2d(2), new ReLU(),
            new Concat(new Sequential(new Conv2d(2, 2, (1, 1))), new Sequential(new ReLU(), new Conv2d(2, 2, (1, 1)))),
            new Residual([new Conv2d(4, 4, (1, 1))], new Sequential(new Conv2d(4, 4, (1, 1)))));
        var names = m.StateDict().Select(s => s.Name).ToArray();
        Assert.Equal(new[]
        {
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.0.0.weight", "3.0.0.bias", "3.1.1.weight", "3.1.1.bias",
            "4.0.weight", "4.0.bias", "4.shortcut.0.weight", "4.shortcut.0.bias",
        }, names);
    }
}
