using Nabla.Data;
using Nabla.Data.Images;
using Xunit;

namespace Nabla.Tests.Data;

public sealed class ImageFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nabla-imagefolder-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private string Put(string relative, byte[] content)
    {
        string p = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, content);
        return p;
    }

    private static readonly byte[] Rgb = ImageFixtures.Bytes("rgb.png"), Gray = ImageFixtures.Bytes("gray.png"),
        Bmp = ImageFixtures.Bytes("rgb.bmp"), Other = ImageFixtures.Bytes("other-size.png");

    private void TrainTest()
    {
        Put("train/dog/1.png", Rgb); Put("train/dog/2.bmp", Bmp); Put("train/cat/a.png", Gray); Put("train/cat/.DS_Store", [0, 1, 2]);
        Put("train/Zebra/x.PNG", Rgb); Put("test/cat/t.png", Rgb); Put("test/dog/t.png", Gray); Put("test/Zebra/t.png", Bmp);
    }

    private static ImageFolderOptions Options(int c = 3, int h = 0, int w = 0) => new() { Channels = c, Height = h, Width = w, CacheThreshold = long.MaxValue, Threads = 2 };

    [Fact]
    public void Load_TrainTestLayout_SortedClassesLabelsAndPixels()
    {
        TrainTest();
        var s = ImageFolder.Load(_root, Options());
        Assert.Equal(["Zebra", "cat", "dog"], s.Train.ClassNames!); // ordinal order, as Python's sorted
        Assert.Equal([0, 1, 2, 2], s.Train.Labels.ToArray());
        Assert.Equal([0, 1, 2], s.Test.Labels.ToArray());
        Assert.Equal((3, 5, 7), (s.Train.Channels, s.Train.Height, s.Train.Width));
        var (pixels, _, _) = ImageDecoder.Decode(Rgb, 3, "rgb.png");
        Assert.Equal(pixels, s.Train.Pixels[..pixels.Length].ToArray());
        var x = new float[s.Train.SampleSize];
        s.Train.CopySample(0, x);
        Assert.Equal(pixels[5] / 255f, x[5]); // ToTensor(): pixel / 255
    }

    [Fact]
    public void Load_ThreadCountAndCache_GiveTheSameBytes()
    {
        TrainTest();
        string cache = Path.Combine(_root, "cache");
        var one = ImageFolder.Load(_root, Options() with { Threads = 1 });
        var logs = new List<string>();
        var cached = Options() with { CacheThreshold = 0, CacheDirectory = cache };
        var first = ImageFolder.Load(_root, cached, logs.Add);
        Assert.Equal(2, Directory.GetFiles(cache, "imagefolder-*.bin").Length);
        var second = ImageFolder.Load(_root, cached, logs.Add);
        Assert.Contains(logs, l => l.Contains("read from the cache"));
        Assert.Equal(one.Train.Pixels.ToArray(), first.Train.Pixels.ToArray());
        Assert.Equal(one.Train.Pixels.ToArray(), second.Train.Pixels.ToArray());
        Assert.Equal(one.Test.Pixels.ToArray(), second.Test.Pixels.ToArray());
        // A changed file changes the key: the stale cache is not used.
        Put("train/dog/1.png", Other);
        var e = Assert.Throws<NablaInputException>(() => ImageFolder.Load(_root, cached, logs.Add));
        Assert.Contains("1.png: expected a 7x5 image", e.Message);
    }

    [Fact]
    public void Load_OtherSize_RejectedNamingTheFirstFile_OrResized()
    {
        TrainTest();
        Put("train/dog/3.png", Other);
        Put("train/dog/4.png", Other);
        var e = Assert.Throws<NablaInputException>(() => ImageFolder.Load(_root, Options(3, 5, 7)));
        Assert.Equal($"{Path.Combine(_root, "train", "dog", "3.png")}: expected a 7x5 image (width x height, like the model's input), found 9x6; pass --resize 5 7 to resize every image", e.Message);
        var s = ImageFolder.Load(_root, Options(3, 5, 7) with { Resize = true });
        Assert.Equal(6, s.Train.Count);
        var g = ImageFolder.Load(_root, Options(1, 4, 4) with { Resize = true });
        Assert.Equal((1, 4, 4), (g.Test.Channels, g.Test.Height, g.Test.Width));
    }

    [Fact]
    public void Load_FlatLayoutWithValSplit_IsSeededAndDisjoint()
    {
        for (int i = 0; i < 10; i++) { Put($"a/{i}.png", Rgb); Put($"b/{i}.png", Gray); }
        var o = Options() with { ValSplit = 0.25 };
        var s = ImageFolder.Load(_root, o);
        Assert.Equal((15, 5), (s.Train.Count, s.Test.Count));
        var again = ImageFolder.Load(_root, o);
        Assert.Equal(s.Test.Labels.ToArray(), again.Test.Labels.ToArray());
        Assert.Equal(s.Test.Pixels.ToArray(), again.Test.Pixels.ToArray());
        var e = Assert.Throws<NablaInputException>(() => ImageFolder.Load(_root, Options()));
        Assert.Contains("--val-split", e.Message);
    }

    [Fact]
    public void BadLayouts_AreOneLineErrorsNamingTheFolderOrFile()
    {
        Put("train/only/1.png", Rgb); Put("test/only/1.png", Rgb);
        AssertRejected("expected at least 2 class folders, found 1 (only)");
        Directory.CreateDirectory(Path.Combine(_root, "train", "empty"));
        Put("train/empty/.DS_Store", [1]);
        AssertRejected("empty: expected images of class 'empty', found none");
        Put("train/empty/1.png", Rgb); Put("test/other/1.png", Rgb);
        AssertRejected("test: expected the classes of", "(missing empty; extra other)");
        Directory.Delete(Path.Combine(_root, "test", "other"), true);
        Put("test/empty/1.png", Rgb);
        Assert.Equal(2, ImageFolder.Load(_root, Options()).Train.Classes);
        Put("train/only/notes.txt", "hi"u8.ToArray());
        AssertRejected("notes.txt: expected an image");
        File.Delete(Path.Combine(_root, "train", "only", "notes.txt"));
        Put("train/only/zero.png", []);
        AssertRejected("zero.png: expected a PNG, JPEG or BMP image, found an empty file (0 bytes)");
        Put("train/only/zero.png", Rgb[..60]);
        AssertRejected("zero.png: expected a PNG, JPEG or BMP image, found a corrupt");
        Put("train/only/zero.png", ImageFixtures.PngWithSize(60000, 60000));
        AssertRejected("zero.png: expected an image of at most 16384x16384");
    }

    private void AssertRejected(params string[] fragments)
    {
        var e = Assert.Throws<NablaInputException>(() => ImageFolder.Load(_root, Options()));
        Assert.DoesNotContain('\n', e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact]
    public void DataSource_DirectoryWithoutIdxFiles_IsAnImageFolder()
    {
        TrainTest();
        var s = DataSource.Load(_root, new DataOptions { Input = [1, 5, 7] });
        Assert.Equal(1, s.Train.Channels);
        Assert.Equal(3, s.Train.Classes);
    }
}
