using System.Globalization;
using System.Text;
using System.Text.Json;
using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>
/// data.json: <c>nabla train</c> writes the data flags it used beside the weights (the auto normalisation as the values
/// it computed), and <c>nabla eval --weights RUN/model.safetensors</c> without data flags evaluates exactly as with them.
/// </summary>
public sealed class DataJsonCliTests : IDisposable
{
    private readonly CliDataFiles _files = new("nabla-datajson-");

    public void Dispose() => _files.Dispose();

    private const double MeanTolerance = 1e-6;

    private string P(string relative) => _files.P(relative);

    private string Put(string relative, byte[] content) => _files.Put(relative, content);

    /// <summary>DIR/&lt;split&gt;/{dark,light}/i.bmp of 10x6 pixels (split "" for the flat layout).</summary>
    private string Folder(string name, string[] splits, int perClass, int seed) =>
        _files.Folder(name, splits, perClass, seed, dark: 70, light: 180, w: 10, h: 6);

    private const string ImageSpec = "input 3 8 8\nflatten\nlinear out_features=2\n";

    private static void AssertOk((int Code, string Out, string Err) r) => CliDataFiles.AssertOk(r);

    /// <summary>Eval's output after the line naming data.json (which only the run without flags prints).</summary>
    private static string WithoutNote(string stdout, string run)
    {
        string[] lines = stdout.Split('\n');
        Assert.StartsWith($"data flags of {Path.Combine(run, DataConfig.FileName)}", lines[0]);
        return string.Join('\n', lines[1..]);
    }

    [Fact]
    public void ImageFolder_EvalWithoutFlags_SameAsWithTheTrainingFlags()
    {
        string data = Folder("flat", [""], 12, seed: 7);
        string spec = Put("img.spec", Encoding.UTF8.GetBytes(ImageSpec)), run = P("run");
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", data, "--val-split", "0.25", "--resize", "8", "8",
            "--normalize", "auto", "--epochs", "2", "--batch-size", "4", "--threads", "1", "--out", run));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, DataConfig.FileName)));
        var root = json.RootElement;
        // The flags and values only: nothing derived from them (such as the options object) is written.
        Assert.Equal(["data", "resize", "val_split", "label_column", "normalize", "mean", "std", "classes"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(data, root.GetProperty("data").GetString());
        Assert.Equal([8, 8], root.GetProperty("resize").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(0.25, root.GetProperty("val_split").GetDouble());
        Assert.Equal("auto", root.GetProperty("normalize").GetString());
        Assert.Equal(["dark", "light"], root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        // The auto values are the training split's per-channel mean and std of pixel / 255 (not the test split's).
        var train = DataSource.Load(data, new DataOptions { Input = [3, 8, 8], Resize = (8, 8), ValSplit = 0.25 }).Train;
        var mean = root.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var std = root.GetProperty("std").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(3, mean.Length);
        int plane = 64;
        for (int c = 0; c < 3; c++)
        {
            double s = 0, q = 0;
            for (int i = 0; i < train.Count; i++)
                foreach (byte b in train.Pixels.Slice((i * 3 + c) * plane, plane)) { s += b / 255.0; q += b / 255.0 * (b / 255.0); }
            double n = train.Count * plane, m = s / n;
            Assert.Equal(m, mean[c], MeanTolerance);
            Assert.Equal(Math.Sqrt(q / n - m * m), std[c], MeanTolerance);
        }

        string weights = Path.Combine(run, "model.safetensors");
        var with = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--data", data, "--val-split", "0.25",
            "--resize", "8", "8", "--normalize", "auto", "--threads", "1");
        AssertOk(with);
        Assert.Contains("/6)", with.Out); // round(24 x 0.25) test images
        var without = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--threads", "1");
        AssertOk(without);
        Assert.Equal(WithoutNote(with.Out, run), WithoutNote(without.Out, run));
        Assert.Contains("--normalize " + string.Join(",", mean.Concat(std).Select(v => ((float)v).ToString("R", CultureInfo.InvariantCulture))), without.Out);
    }

    [Fact]
    public void EvalOnOtherData_TakesResizeAndNormalize_NotTheSplit()
    {
        string flat = Folder("flat", [""], 8, seed: 11), paired = Folder("paired", ["train", "test"], 5, seed: 12);
        string spec = Put("img.spec", Encoding.UTF8.GetBytes(ImageSpec)), run = P("run");
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", flat, "--val-split", "0.25", "--resize", "8", "8",
            "--normalize", "0.5,0.25", "--epochs", "1", "--batch-size", "4", "--threads", "1", "--out", run));
        string weights = Path.Combine(run, "model.safetensors");
        // 10x6 images need the run's --resize; a paired folder refuses --val-split, so the run's is not applied to it.
        var other = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--data", paired, "--threads", "1");
        AssertOk(other);
        var explicitFlags = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--data", paired, "--resize", "8", "8",
            "--normalize", "0.5,0.25", "--threads", "1");
        AssertOk(explicitFlags);
        Assert.Equal(WithoutNote(explicitFlags.Out, run), WithoutNote(other.Out, run));
        Assert.Contains("/10)", other.Out);
        // A flag given wins over data.json's: another normalisation changes the loss.
        var overridden = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--data", paired, "--normalize", "0,1", "--threads", "1");
        AssertOk(overridden);
        Assert.NotEqual(WithoutNote(other.Out, run), WithoutNote(overridden.Out, run));
    }

    [Fact]
    public void Csv_EvalWithoutFlags_ReadsTheSameColumnAndSplit()
    {
        string csv = _files.UpDownTable("table.csv", 60, seed: 4, every: 3, shift: 1.5);
        string spec = Put("mlp.spec", Encoding.UTF8.GetBytes("input 2\nlinear out_features=8\nrelu\nlinear out_features=2\n")), run = P("run");
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", csv, "--label-column", "kind", "--val-split", "0.3",
            "--epochs", "2", "--batch-size", "8", "--lr", "0.02", "--threads", "1", "--out", run));
        string weights = Path.Combine(run, "model.safetensors");
        var with = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--data", csv, "--label-column", "kind", "--val-split", "0.3");
        AssertOk(with);
        Assert.Contains("/18)", with.Out); // round(60 x 0.3)
        var without = CliErrorTests.Run("eval", "--model", spec, "--weights", weights);
        AssertOk(without);
        Assert.Equal(WithoutNote(with.Out, run), WithoutNote(without.Out, run));
        Assert.Contains("--label-column kind", without.Out);
    }

    // "test accuracy 96.88% (31/32), loss 0.1234"
    private static string AccuracyLine(string stdout) =>
        stdout.Split('\n').Single(l => l.StartsWith("test accuracy ", StringComparison.Ordinal));

    private static string AccuracyLine(double loss, double acc, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"test accuracy {acc:P2} ({acc * count:F0}/{count}), loss {loss:F4}");

    /// <summary>int8 evaluation in-process: <paramref name="weights"/> quantised with activation ranges calibrated on
    /// <paramref name="calibration"/>'s training split, evaluated on <paramref name="test"/>.</summary>
    private static string Int8Line(string spec, string weights, DataSplits calibration, Dataset test)
    {
        var s = Nabla.IO.Spec.Zoo.Resolve(spec);
        var model = Nabla.IO.ModelFactory.Build(s, new Nabla.Tensors.Rng(0), new Nabla.Tensors.Rng(0));
        Nabla.IO.TensorFiles.LoadInto(model, Nabla.IO.TensorFiles.Load(weights), weights);
        var q = Nabla.Quantization.QuantizedModel.Quantize(model,
            Nabla.Quantization.Calibration.Batches(calibration.Train, Nabla.Quantization.Calibration.DefaultBatches, s.IsFlatInput));
        var (loss, acc) = Nabla.Training.Trainer.Evaluate(q, test, s.IsFlatInput);
        return AccuracyLine(loss, acc, test.Count);
    }

    [Fact]
    public void Int8_CalibratesOnTheEvaluatedData_ResizedAndNormalised_ExportToo()
    {
        string data = Folder("flat", [""], 16, seed: 9);
        string spec = Put("img.spec", Encoding.UTF8.GetBytes(ImageSpec)), run = P("run");
        AssertOk(CliErrorTests.Run("train", "--model", spec, "--data", data, "--val-split", "0.25", "--resize", "8", "8",
            "--normalize", "auto", "--epochs", "2", "--batch-size", "4", "--threads", "1", "--out", run));
        string weights = Path.Combine(run, "model.safetensors");
        var saved = DataConfig.Load(Path.Combine(run, DataConfig.FileName));
        var raw = DataSource.Load(data, new DataOptions { Input = [3, 8, 8], Resize = (8, 8), ValSplit = 0.25 });
        var normalised = saved.Normalization!.Apply(raw);
        string expected = Int8Line(spec, weights, normalised, normalised.Test);
        // Calibrating on pixel / 255 instead of the normalised inputs gives other activation scales and another result:
        // the comparison below can tell the two apart.
        Assert.NotEqual(expected, Int8Line(spec, weights, raw, normalised.Test));

        var eval = CliErrorTests.Run("eval", "--model", spec, "--weights", weights, "--precision", "int8", "--threads", "1");
        AssertOk(eval);
        Assert.Equal(expected, AccuracyLine(eval.Out));
        // export --quantize takes the same data from data.json; evaluating its file gives the same result.
        string q = P("q.safetensors");
        AssertOk(CliErrorTests.Run("export", "--model", spec, "--weights", weights, "--quantize", "int8", "--out", q));
        var exported = CliErrorTests.Run("eval", "--model", spec, "--weights", q, "--precision", "int8", "--data", data,
            "--val-split", "0.25", "--resize", "8", "8", "--normalize", saved.Normalization.Describe(), "--threads", "1");
        AssertOk(exported);
        Assert.Equal(expected, AccuracyLine(exported.Out));
    }

    [Fact]
    public void BadDataJson_ExitTwo_NamingIt()
    {
        string spec = Put("mlp.spec", Encoding.UTF8.GetBytes("input 2\nlinear out_features=2\n"));
        string run = P("run");
        Directory.CreateDirectory(run);
        string weights = Path.Combine(run, "model.safetensors");
        Nabla.IO.TensorFiles.Save(weights, Nabla.IO.ModelFactory.Build(Nabla.IO.Spec.Zoo.Resolve(spec), new Nabla.Tensors.Rng(0), new Nabla.Tensors.Rng(0)).StateDict());
        string file = Path.Combine(run, DataConfig.FileName);
        (string Json, string Fragment)[] cases =
        [
            ("{", "not a valid data.json"),
            ("{\"data\": \"mnist\", \"resize\": [8]}", "\"resize\" must be [height, width]"),
            ("{\"data\": \"mnist\", \"mean\": [0.5], \"std\": [0]}", "standard deviations positive"),
        ];
        foreach (var c in cases)
        {
            File.WriteAllText(file, c.Json);
            CliErrorTests.AssertUsageError(CliErrorTests.Run("eval", "--model", spec, "--weights", weights), file, c.Fragment);
        }
    }
}
