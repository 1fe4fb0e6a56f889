using System.Text.Json;
using Nabla.NN;
using Nabla.Tensors;
using static Nabla.Tests.Parity.ParityFixture;

namespace Nabla.Tests.Parity;

/// <summary>Builds a Nabla module from a fixture's layer spec (PyTorch constructor arguments, as in the spec format).</summary>
internal static class ModuleFactory
{
    /// <summary>The module described by <paramref name="spec"/>; weights are overwritten from the fixture afterwards.</summary>
    public static Module Build(JsonElement spec)
    {
        string type = spec.GetProperty("type").GetString()!;
        int I(string k) => spec.GetProperty(k).GetInt32();
        bool B(string k) => spec.GetProperty(k).GetBoolean();
        float Fl(string k) => (float)spec.GetProperty(k).GetDouble();
        (int, int) P(string k) => Pair(spec.GetProperty(k));
        var rng = new Rng(1);
        return type switch
        {
            "conv2d" => new Conv2d(I("in_channels"), I("out_channels"), P("kernel_size"), P("stride"), P("padding"), P("dilation"),
                I("groups"), B("bias"), rng),
            "linear" => new Linear(I("in_features"), I("out_features"), B("bias"), rng),
            "maxpool2d" => new MaxPool2d(P("kernel_size"), P("stride"), P("padding"), B("ceil_mode"), P("dilation")),
            "avgpool2d" => new AvgPool2d(P("kernel_size"), P("stride"), P("padding"), B("count_include_pad"), B("ceil_mode")),
            "adaptiveavgpool2d" => new AdaptiveAvgPool2d(P("output_size")),
            "batchnorm1d" => new BatchNorm1d(I("num_features"), Fl("eps"), Fl("momentum"), B("affine")),
            "batchnorm2d" => new BatchNorm2d(I("num_features"), Fl("eps"), Fl("momentum"), B("affine")),
            "relu" => new ReLU(),
            "leakyrelu" => new LeakyReLU(Fl("negative_slope")),
            "elu" => new ELU(Fl("alpha")),
            "gelu" => new GELU(),
            "relu6" => new ReLU6(),
            "sigmoid" => new Sigmoid(),
            "tanh" => new Tanh(),
            "softmax" => new Softmax(I("dim")),
            "logsoftmax" => new LogSoftmax(I("dim")),
            "flatten" => new Flatten(),
            "dropout" => new Dropout(Fl("p"), new Rng(2)),
            "identity" => new Identity(),
            "sequential" => new Sequential(spec.GetProperty("layers").EnumerateArray().Select(Build).ToArray()),
            "concat" => new Concat(spec.GetProperty("branches").EnumerateArray().Select(Build).ToArray()),
            "residual" => new Residual(spec.GetProperty("body").EnumerateArray().Select(Build).ToList(),
                spec.TryGetProperty("shortcut", out var sc) && sc.ValueKind != JsonValueKind.Null ? Build(sc) : null),
            _ => throw new NotSupportedException($"fixture layer type '{type}' has no Nabla builder"),
        };
    }
}
