using System.Text.Json;
using Nabla.Analysis;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Analysis;

public class SummaryFormatsTests
{
    [Fact]
    public void Json_HasContractFieldsAndNullFieldsWhenFlat()
    {
        var summary = ModelAnalyzer.Analyze(Zoo.Load("lenet5"));
        using var doc = JsonDocument.Parse(SummaryFormats.ToJson(summary));
        var root = doc.RootElement;
        Assert.Equal(["input", "layers", "total"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal([1, 28, 28], root.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(summary.Layers.Count, layers.Count);
        var first = layers[0];
        Assert.Equal(
            ["name", "type", "output_shape", "params", "mults", "adds", "activations", "rf_size", "rf_stride", "rf_start"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0", first.GetProperty("name").GetString());
        Assert.Equal("conv2d", first.GetProperty("type").GetString());
        Assert.Equal([6, 28, 28], first.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(summary.Layers[0].Counts.Mults, first.GetProperty("mults").GetInt64());
        Assert.Equal([5L, 5L], first.GetProperty("rf_size").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([-2L, -2L], first.GetProperty("rf_start").EnumerateArray().Select(e => e.GetInt64()));
        var flat = layers.Single(l => l.GetProperty("type").GetString() == "flatten");
        Assert.Equal(JsonValueKind.Null, flat.GetProperty("rf_size").ValueKind);
        Assert.Equal(JsonValueKind.Null, flat.GetProperty("rf_start").ValueKind);
        var total = root.GetProperty("total");
        Assert.Equal(["params", "mults", "adds", "activations"], total.EnumerateObject().Select(p => p.Name));
        Assert.Equal(summary.Total.Params, total.GetProperty("params").GetInt64());
        Assert.Equal(layers.Sum(l => l.GetProperty("adds").GetInt64()), total.GetProperty("adds").GetInt64());
    }

    [Fact]
    public void Csv_OneRowPerLayer_EmptyRfWhenFlat()
    {
        var summary = ModelAnalyzer.Analyze(Zoo.Load("inception-naive"));
        var lines = SummaryFormats.ToCsv(summary).TrimEnd('\n').Split('\n');
        Assert.Equal("name,type,depth,output_shape,params,mults,adds,activations,rf_size_h,rf_size_w,rf_stride_h,rf_stride_w,rf_start_h,rf_start_w", lines[0]);
        Assert.Equal(summary.Layers.Count + 1, lines.Length);
        Assert.Equal("0.1.0,conv2d,1,192x32x32,442560,452984832,452984832,0,3,3,1,1,-1,-1", lines[3]);
        Assert.Equal("0,concat,0,672x32x32,0,0,0,0,5,5,1,1,-2,-2", lines[^1]);
        var mlp = SummaryFormats.ToCsv(ModelAnalyzer.Analyze(Zoo.Load("mlp"))).Split('\n');
        Assert.EndsWith(",,,,,,", mlp[2]);
    }
}
