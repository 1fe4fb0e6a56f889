using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Nabla.Cli.Commands;
using Nabla.Kernels.Quant;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>The JSON of `nabla bench --json` (CONTRACTS §5), and the int8 fields it gains under --precision int8.</summary>
public class BenchReportTests
{
    [Fact]
    public void ToJson_HasTheContractFields_AndNoPrecisionForFp32()
    {
        var r = new BenchReport(2, TextWriter.Null);
        r.Workloads.Add(new("mlp", 64, 1234.56, 7890.12));
        r.Gemm.Add(new(1024, 321.04));
        using var doc = JsonDocument.Parse(r.ToJson());
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("threads").GetInt32());
        var w = root.GetProperty("workloads")[0];
        Assert.Equal("mlp", w.GetProperty("name").GetString());
        Assert.Equal(64, w.GetProperty("batch").GetInt32());
        Assert.Equal(1234.6, w.GetProperty("train_img_per_s").GetDouble());
        Assert.Equal(7890.1, w.GetProperty("infer_img_per_s").GetDouble());
        Assert.Equal(321.0, root.GetProperty("gemm")[0].GetProperty("gflops").GetDouble());
        Assert.False(root.TryGetProperty("precision", out _));
        Assert.False(root.TryGetProperty("int8_kernel", out _));
    }

    [Fact]
    public void ToJson_UnderInt8_NamesTheKernelThatRan()
    {
        var r = new BenchReport(1, TextWriter.Null) { Int8Kernel = QGemm.KernelName };
        using var doc = JsonDocument.Parse(r.ToJson());
        Assert.Equal("int8", doc.RootElement.GetProperty("precision").GetString());
        string expected = AvxVnni.IsSupported ? "vnni" : Avx2.IsSupported ? "widening" : "scalar";
        Assert.Equal(expected, doc.RootElement.GetProperty("int8_kernel").GetString());
    }
}
