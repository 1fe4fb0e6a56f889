using System.Globalization;
using Nabla.Tests.Data;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>
/// Runs the real CLI on tiny generated data sets: image folders (both layouts) and CSV tables with the data flags,
/// and every bad-input case of issue 19, each of which must be exit 2, one line naming the file, nothing in --out.
/// </summary>
/// <remarks>
/// The images are 8x8 BMPs of two classes, dark and light, with seeded noise: a linear model separates them in an
/// epoch, so a learning check needs no long training. BMP is written here because it is a dozen header fields.
/// </remarks>
public sealed class DataFlagsCliTests : IDisposable
{
    private readonly CliDataFiles _files = new("nabla-datacli-");

    public void Dispose() => _files.Dispose();

    private const double LearnedAccuracy = 0.9;

    private string P(string relative) => _files.P(relative);

    private string Put(string relative, byte[] content) => _files.Put(relative, content);

    private string Spec(string name, string text) => _files.Put(name, text);

    /// <summary>DIR/&lt;split&gt;/{dark,light}/i.bmp, <paramref name="perClass"/> images each (split "" for the flat layout).</summary>
    private string Folder(string name, string[] splits, int perClass, int w = 8, int h = 8) =>
        _files.Folder(name, splits, perClass, seed: 19, dark: 60, light: 190, w, h);

    private const string ImageSpec = "input 3 8 8\nflatten\nlinear out_features=2\n";

    private static double LastTestAccuracy(string run)
    {
        string last = File.ReadAllLines(Path.Combine(run, "metrics.csv"))[^1];
        return double.Parse(last.Split(',')[4], CultureInfo.InvariantCulture);
    }

    // "test accuracy 96.88% (31/32), loss 0.1234"
    private static (int Correct, int Total) EvalCounts(string stdout)
    {
        var m = System.Text.RegularExpressions.Regex.Match(stdout, @"test accuracy [0-9.]+ ?% \((\d+)/(\d+)\)");
        Assert.True(m.Success, stdout);
        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static void AssertOk((int Code, string Out, string Err) r) => CliDataFiles.AssertOk(r);

    [Fact]
    public void ImageFolder_TrainTest_AugmentNormalizeAuto_Learns_ThenEvalNamesTheClasses()
    {
        string data = Folder("folder", ["train", "test"], 16);
        Put("folder/train/dark/.DS_Store", [0, 0, 0, 1]); // known junk is skipped
        string spec = Spec("img.spec", ImageSpec), run = P("run");
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", data, "--epochs", "2", "--batch-size", "8", "--threads", "1",
            "--augment", "crop=1,flip", "--normalize", "auto", "--out", run));
        Assert.True(LastTestAccuracy(run) >= LearnedAccuracy, $"test accuracy {LastTestAccuracy(run)}");
        Assert.Equal(["dark", "light"], File.ReadAllLines(Path.Combine(run, "classes.txt")));
        var eval = CliErrorTests.Run("eval", "--model", spec, "--weights", Path.Combine(run, "model.safetensors"), "--data", data,
            "--normalize", "auto", "--min-accuracy", LearnedAccuracy.ToString(CultureInfo.InvariantCulture), "--threads", "1");
        AssertOk(eval);
        var (correct, total) = EvalCounts(eval.Out);
        Assert.Equal(32, total); // 16 + 16 test images
        Assert.True(correct >= LearnedAccuracy * total, eval.Out);
        Assert.Contains("  dark", eval.Out);
        Assert.Contains("  light", eval.Out);
    }

    [Fact]
    public void ImageFolder_FlatLayout_ValSplitAndResize()
    {
        string data = Folder("flat", [""], 12, w: 10, h: 6);
        string spec = Spec("img.spec", ImageSpec), run = P("run");
        // Without --resize the first file in sorted order is named with its size.
        CliErrorTests.AssertUsageError(CliErrorTests.Run("train", "--model", spec, "--data", data, "--val-split", "0.25", "--out", run),
            Path.Combine(data, "dark", "00.bmp"), "found 10x6", "--resize 8 8");
        Assert.False(Directory.Exists(run));
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", data, "--val-split", "0.25", "--resize", "8", "8",
            "--normalize", "0.5,0.25", "--epochs", "2", "--batch-size", "4", "--threads", "1", "--out", run));
        Assert.True(LastTestAccuracy(run) >= LearnedAccuracy, $"test accuracy {LastTestAccuracy(run)}");
        var eval = CliErrorTests.Run("eval", "--model", spec, "--weights", Path.Combine(run, "model.safetensors"), "--data", data,
            "--val-split", "0.25", "--resize", "8x8", "--normalize", "0.5,0.25", "--threads", "1");
        AssertOk(eval);
        var (correct, total) = EvalCounts(eval.Out);
        Assert.Equal(6, total); // round(24 x 0.25) held out, the same split as training's
        Assert.True(correct >= LearnedAccuracy * total, eval.Out);
    }

    [Fact]
    public void Csv_LabelColumn_Learns_ThenEvalReadsTheSameSplit()
    {
        string csv = _files.UpDownTable("table.csv", 80, seed: 3, every: 2, shift: 2);
        string spec = Spec("mlp.spec", "input 2\nlinear out_features=8\nrelu\nlinear out_features=2\n"), run = P("run");
        // The default label column is the last (y), which makes kind a feature column.
        CliErrorTests.AssertUsageError(CliErrorTests.Run("train", "--model", spec, "--data", csv, "--out", run), "table.csv: line 2, column 2 (kind): expected a finite number, found 'up'");
        Assert.False(Directory.Exists(run));
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", csv, "--label-column", "kind", "--val-split", "0.25",
            "--epochs", "4", "--batch-size", "8", "--lr", "0.02", "--threads", "1", "--out", run));
        Assert.True(LastTestAccuracy(run) >= LearnedAccuracy, $"test accuracy {LastTestAccuracy(run)}");
        AssertOk(CliErrorTests.Run("eval", "--model", spec, "--weights", Path.Combine(run, "model.safetensors"), "--data", csv,
            "--label-column", "kind", "--val-split", "0.25", "--min-accuracy", LearnedAccuracy.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void BadData_ExitTwo_OneLineNamingTheFile_NothingWritten()
    {
        var rng = new Random(5);
        byte[] Img() => CliDataFiles.Bmp(8, 8, 128, rng);
        byte[] png = ImageFixtures.Bytes("rgb.png"), jpg = ImageFixtures.Bytes("rgb.jpg");
        string spec = Spec("img.spec", ImageSpec), mlp = Spec("mlp.spec", "input 2\nlinear out_features=2\n");
        var cases = new List<(string Name, string Data, string Model, string[] Extra, string[] Fragments)>();
        void Case(string name, Action<string> make, string[] fragments, string model = "", string[]? extra = null, string? data = null)
        {
            string root = P(name);
            foreach (string split in (string[])["train", "test"])
                foreach (string cls in (string[])["a", "b"]) Put(Path.Combine(name, split, cls, "0.bmp"), Img());
            make(root);
            cases.Add((name, data ?? root, model.Length > 0 ? model : spec, extra ?? [], fragments));
        }
        Case("truncated-png", r => Put(Path.Combine(r, "train", "a", "1.png"), png[..^30]), ["1.png: expected a PNG, JPEG or BMP image", "truncated PNG"], extra: ["--resize", "8", "8"]);
        Case("truncated-jpg", r => Put(Path.Combine(r, "train", "b", "1.jpg"), jpg[..^60]), ["1.jpg: expected a PNG, JPEG or BMP image", "truncated JPEG"], extra: ["--resize", "8", "8"]);
        Case("zero-byte", r => Put(Path.Combine(r, "test", "a", "1.png"), []), ["1.png: expected a PNG, JPEG or BMP image, found an empty file"]);
        Case("not-an-image", r => Put(Path.Combine(r, "train", "a", "notes.txt"), "hello"u8.ToArray()), ["notes.txt: expected an image", "another kind of file"]);
        Case("one-class", r => Directory.Delete(Path.Combine(r, "train", "b"), true), [Path.Combine("one-class", "train") + ": expected at least 2 class folders, found 1 (a)"]);
        Case("empty-class", r => Directory.CreateDirectory(Path.Combine(r, "train", "c")), [Path.Combine("empty-class", "train", "c") + ": expected images of class 'c', found none"]);
        Case("class-sets", r => Directory.Move(Path.Combine(r, "test", "b"), Path.Combine(r, "test", "z")), [Path.Combine("class-sets", "test") + ": expected the classes of", "missing b", "z"]);
        Case("too-many-classes", r => { Put(Path.Combine(r, "train", "c", "0.bmp"), Img()); Put(Path.Combine(r, "test", "c", "0.bmp"), Img()); },
            ["img.spec: the model has 2 outputs but", "has 3 classes (a, b, c)"]);
        Case("bad-val-split", _ => { }, ["--val-split", "already has train/ and test/"], extra: ["--val-split", "0.2"]);
        string Table(string name, string text) => _files.Put(name, text);
        string ok = "f,g,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,10,a\n";
        cases.Add(("ragged", Table("ragged.csv", ok + "1,2\n"), mlp, [], ["ragged.csv: line 7: expected 3 columns like the header, found 2"]));
        cases.Add(("missing", Table("missing.csv", ok + "1,,a\n"), mlp, [], ["missing.csv: line 7, column 2 (g): expected a number, found a missing value"]));
        cases.Add(("text-cell", Table("text.csv", ok + "1,two,a\n"), mlp, [], ["text.csv: line 7, column 2 (g): expected a finite number, found 'two'"]));
        cases.Add(("csv-classes", Table("classes.csv", ok + "1,2,c\n"), mlp, [], ["mlp.spec: the model has 2 outputs but", "3 classes"]));
        cases.Add(("label-column", Table("label.csv", ok), mlp, ["--label-column", "species"], ["--label-column species", "label.csv", "f, g, label"]));
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 3 }, c =>
        {
            string run = P("out-" + c.Name);
            var r = CliErrorTests.Run(["train", "--model", c.Model, "--data", c.Data, "--epochs", "1", "--threads", "1", "--out", run, .. c.Extra]);
            Assert.True(r.Code == 2, $"{c.Name}: exit {r.Code}: {r.Err}");
            CliErrorTests.AssertUsageError(r, c.Fragments);
            Assert.False(Directory.Exists(run), $"{c.Name}: {run} was created");
        });
    }

    [Fact]
    public void BadFlags_ExitTwo_OneLineNamingTheFlag()
    {
        string data = Folder("flags", ["train", "test"], 2);
        string spec = Spec("img.spec", ImageSpec);
        (string[] Flags, string Fragment)[] cases =
        [
            (["--augment", "crop=x"], "--augment crop=x: expected items crop=P"),
            (["--augment", "rotate=3"], "found 'rotate=3'"),
            (["--normalize", "0.5,0.5,0.5,1,1"], "--normalize 0.5,0.5,0.5,1,1"),
            (["--normalize", "0.5,0"], "expected positive standard deviations"),
            (["--resize", "0", "8"], "--resize expects a height and width in 1..4096"),
            (["--val-split", "1.5"], "--val-split"),
        ];
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 3 }, c =>
        {
            string run = P("out-" + string.Join("", c.Flags).GetHashCode().ToString("x", CultureInfo.InvariantCulture));
            CliErrorTests.AssertUsageError(CliErrorTests.Run(["train", "--model", spec, "--data", data, "--out", run, .. c.Flags]), c.Fragment);
            Assert.False(Directory.Exists(run));
        });
    }
}
