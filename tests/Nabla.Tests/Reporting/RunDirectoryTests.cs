using Nabla.Reporting;
using Xunit;

namespace Nabla.Tests.Reporting;

/// <summary>The file names of a run directory: CONTRACTS §7's four outputs and the report's inputs.</summary>
public sealed class RunDirectoryTests
{
    [Fact]
    public void Files_AreNamedAsTheContractSays()
    {
        var run = new RunDirectory(Path.Combine("runs", "mlp"));
        string In(string name) => Path.Combine("runs", "mlp", name);
        Assert.Equal(In("metrics.csv"), run.Metrics);
        Assert.Equal(In("curves.svg"), run.Curves);
        Assert.Equal(In("model.safetensors"), run.Model);
        Assert.Equal(In("checkpoint.safetensors"), run.Checkpoint);
        Assert.Equal(In("report.html"), run.Report);
        Assert.Equal(In("steps.csv"), run.Steps);
        Assert.Equal(In("predictions.csv"), run.Predictions);
        Assert.Equal(In("run.json"), run.Info);
        Assert.Equal(In("classes.txt"), run.Classes);
        Assert.Equal(In("data.json"), run.DataConfig);
    }

    [Fact]
    public void Holding_IsTheDirectoryOfTheWeightsFile()
    {
        string weights = Path.Combine("runs", "mlp", "model.safetensors");
        Assert.Equal(Path.GetFullPath(Path.Combine("runs", "mlp")), RunDirectory.Holding(weights).Directory);
        Assert.Equal(Path.GetFullPath(Path.Combine("runs", "mlp", "classes.txt")), RunDirectory.Holding(weights).Classes);
    }
}
