using System.Diagnostics;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.Tests.Analysis;
using Xunit;

namespace Nabla.Tests.Cli;

public class SummaryCommandTests
{
    private static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        int code = new SummaryCommand(writer).Run(new Args("summary", args));
        return (code, writer.ToString());
    }

    [Fact]
    public void Table_IndexBase1_ShowsIssueRange()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nabla-stack-{Guid.NewGuid():N}.spec");
        File.WriteAllText(path, ModelAnalyzerTests.IssueStack);
        try
        {
            var (code, output) = Run(path, "--index-base", "1");
            Assert.Equal(0, code);
            Assert.Contains("X[:, 2i-3 : 2i+2, 2j-3 : 2j+2]", output);
            Assert.Contains("X[:, 4i-9 : 4i+6, 4j-9 : 4j+6]", output);
            Assert.Contains("1-based, inclusive", output);
            Assert.DoesNotContain("\u001b[", output);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Table_ShowsTotalsAndBranchSubtotals()
    {
        var (_, output) = Run("inception-naive");
        var lines = output.Split('\n');
        Assert.Contains(lines, l => l.Contains("total") && l.Contains("1,089,952") && l.Contains("1,115,684,864") && l.Contains("425,984"));
        foreach (var b in new[] { "branch 0", "branch 1", "branch 2", "branch 3" })
            Assert.Contains(lines, l => l.Contains($"Σ 0 {b}") && l.Contains("subtotal"));
        Assert.Contains(lines, l => l.Contains("Σ 0 branch 1") && l.Contains("442,560") && l.Contains("452,984,832"));
        Assert.Contains("X[:, i-2 : i+3, j-2 : j+3]", output); // 0-based default: the concat's 5x5 union
    }

    [Fact]
    public void Json_IsContractJson_AndInputOverrideApplies()
    {
        var (code, output) = Run("lenet5", "--format", "json", "--input", "1,32,32");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal([1, 32, 32], doc.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        var conv = doc.RootElement.GetProperty("layers")[0];
        Assert.Equal([6, 32, 32], conv.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Csv_HasHeaderAndRows()
    {
        var (_, output) = Run("mlp", "--format=csv");
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.StartsWith("name,type,depth,output_shape,params", lines[0]);
        Assert.Equal(7, lines.Length);
        Assert.StartsWith("1,linear,0,512,401920,", lines[2]);
    }

    [Theory]
    [InlineData(new[] { "lenet" }, "did you mean 'lenet5'?")]
    [InlineData(new[] { "lenet5", "--format", "xml" }, "--format must be one of table|json|csv")]
    [InlineData(new[] { "lenet5", "--index-base", "2" }, "--index-base must be one of 0|1")]
    [InlineData(new[] { "lenet5", "--inptu", "1,2,3" }, "unknown option --inptu")]
    [InlineData(new[] { "lenet5", "extra" }, "unexpected argument 'extra'")]
    [InlineData(new string[0], "expected a model (zoo name or spec file), found nothing")]
    [InlineData(new[] { "lenet5", "--input", "1,4,4" }, "layer 3 (conv2d): expected an output size >= 1, found 16x-2x-2 from input 6x2x2")]
    public void BadInput_ThrowsInputException(string[] args, string expected)
    {
        var e = Assert.ThrowsAny<NablaInputException>(() => Run(args));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Program_BadModel_ExitsTwoWithOneLine()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "summary", "resnet81"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("nabla summary: unknown model 'resnet81' (did you mean 'resnet18'?)", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }
}
