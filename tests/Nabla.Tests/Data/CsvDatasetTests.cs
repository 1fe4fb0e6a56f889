using Nabla.Data;
using Nabla.Data.Tables;
using Xunit;

namespace Nabla.Tests.Data;

public sealed class CsvDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Csv(string text)
    {
        string p = Path.Combine(_dir, $"t{Guid.NewGuid():N}.csv");
        File.WriteAllText(p, text);
        return p;
    }

    private static string Rows(int n, Func<int, string> row) => string.Concat(Enumerable.Range(0, n).Select(i => row(i) + "\n"));

    [Fact]
    public void Load_StringLabels_SortedClassesSplitAndStandardised()
    {
        string p = Csv("a,b,kind\n" + Rows(20, i => $"{i},{i * 2 % 7},{(i % 3 == 0 ? "zeta" : i % 3 == 1 ? "Alpha" : "beta")}"));
        var s = CsvDataset.Load(p, new CsvOptions { ValSplit = 0.25 });
        Assert.Equal(["Alpha", "beta", "zeta"], s.Train.ClassNames!);
        Assert.Equal((15, 5, 2), (s.Train.Count, s.Test.Count, s.Train.SampleSize));
        Assert.True(s.Train.IsTable);
        var x = new float[2];
        double sum = 0, sq = 0;
        for (int i = 0; i < s.Train.Count; i++) { s.Train.CopySample(i, x); sum += x[0]; sq += x[0] * x[0]; }
        Assert.Equal(0, sum / s.Train.Count, 5);
        Assert.Equal(1, sq / s.Train.Count, 4);
        var raw = CsvDataset.Load(p, new CsvOptions { ValSplit = 0.25, Standardize = false });
        var seen = new HashSet<float>();
        foreach (var d in new[] { raw.Train, raw.Test })
            for (int i = 0; i < d.Count; i++) { d.CopySample(i, x); Assert.True(seen.Add(x[0]), "train and test share a row"); }
        Assert.Equal(20, seen.Count);
    }

    [Fact]
    public void Load_LabelColumnByName_IntegerLabelsSortNumerically()
    {
        string p = Csv("y,f1,\"f,2\"\n" + Rows(12, i => $"{(i % 3) * 5},{i},\"{i}.5\""));
        var s = CsvDataset.Load(p, new CsvOptions { LabelColumn = "y", Standardize = false });
        Assert.Equal(["0", "5", "10"], s.Train.ClassNames!);
        Assert.Equal(["f1", "f,2"], CsvDataset.FeatureNames(p, "y"));
        var x = new float[2];
        int label = s.Train.CopySample(0, x);
        Assert.Equal(x[0] + 0.5f, x[1]);
        Assert.Equal((int)x[0] % 3, label);
    }

    [Theory]
    [InlineData("a,b,y\n1,2,x\n3,4\n", "line 3: expected 3 columns like the header, found 2")]
    [InlineData("a,b,y\n1,2,x\n3,,z\n", "line 3, column 2 (b): expected a number, found a missing value")]
    [InlineData("a,b,y\n1,2,x\n3,abc,z\n", "line 3, column 2 (b): expected a finite number, found 'abc'")]
    [InlineData("a,b,y\n1,2,x\n3,NaN,z\n", "line 3, column 2 (b): expected a finite number, found 'NaN'")]
    [InlineData("a,b,y\n1,2,x\n3,4,\n", "line 3, column 3 (y): expected a label, found a missing value")]
    [InlineData("a,b,y\n1,2,x\n3,4,x\n", "expected at least 2 distinct labels, found 1")]
    [InlineData("a,b,y\n", "expected data rows after the header, found none")]
    [InlineData("", "expected a header row and data rows, found an empty file")]
    [InlineData("a,,y\n1,2,x\n", "line 1, column 2: expected a column name")]
    [InlineData("a,b,y\n1,\"2,x\n", "line 2, column 2: expected a closing quote")]
    public void BadTables_NameLineAndColumn(string text, string fragment)
    {
        string p = Csv(text);
        var e = Assert.Throws<NablaInputException>(() => CsvDataset.Load(p));
        Assert.StartsWith(p, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void UnknownLabelColumn_NamesTheFlag()
    {
        string p = Csv("a,b,y\n1,2,x\n3,4,z\n");
        var e = Assert.Throws<NablaInputException>(() => CsvDataset.Load(p, new CsvOptions { LabelColumn = "label" }));
        Assert.StartsWith("--label-column label: expected one of the columns", e.Message);
    }

    [Fact]
    public void DataSource_CsvFile_UsesTheLabelColumnOption()
    {
        string p = Csv("k,a,b\n" + Rows(10, i => $"{i % 2},{i},{-i}"));
        var s = DataSource.Load(p, new DataOptions { LabelColumn = "k", ValSplit = 0.5 });
        Assert.Equal((5, 5, 2), (s.Train.Count, s.Test.Count, s.Train.Channels));
    }
}
