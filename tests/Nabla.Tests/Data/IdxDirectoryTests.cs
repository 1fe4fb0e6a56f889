using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Data;

public class IdxDirectoryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_ReadsTheFourFiles(bool gzip)
    {
        using var dir = new IdxFiles.TempDir();
        IdxFiles.WriteSplits(dir, nTrain: 30, nTest: 12, h: 6, w: 5, gzip);
        var s = IdxDirectory.Load(dir.Path);
        Assert.Equal((30, 12, 6, 5, 1), (s.Train.Count, s.Test.Count, s.Train.Height, s.Train.Width, s.Train.Channels));
        Assert.Equal(IdxFiles.Labels(12, 4)[8..].Select(b => (int)b), s.Test.Labels.ToArray());
        Assert.Equal(IdxFiles.Images(30, 6, 5, 1)[16..], s.Train.Pixels.ToArray());
    }

    [Fact]
    public void Load_AcceptsDottedNamesAndMixedCompression()
    {
        using var dir = new IdxFiles.TempDir();
        dir.File("train-images.idx3-ubyte", IdxFiles.Images(3, 2, 2, 1));
        dir.File("train-labels-idx1-ubyte.gz", IdxFiles.Gzip(IdxFiles.Labels(3, 2)));
        dir.File("t10k-images.idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.Images(2, 2, 2, 3)));
        dir.File("t10k-labels-idx1-ubyte", IdxFiles.Labels(2, 4));
        var s = IdxDirectory.Load(dir.Path);
        Assert.Equal((3, 2), (s.Train.Count, s.Test.Count));
    }

    [Fact]
    public void Load_RejectsMissingFile_NamingIt()
    {
        using var dir = new IdxFiles.TempDir();
        IdxFiles.WriteSplits(dir, 3, 2, 2, 2, gzip: false);
        File.Delete(Path.Combine(dir.Path, "t10k-labels-idx1-ubyte"));
        var e = Assert.Throws<NablaInputException>(() => IdxDirectory.Load(dir.Path));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    [Fact]
    public void Load_RejectsCountMismatch_NamingTheLabelFile()
    {
        using var dir = new IdxFiles.TempDir();
        IdxFiles.WriteSplits(dir, 3, 2, 2, 2, gzip: false);
        string labels = dir.File("train-labels-idx1-ubyte", IdxFiles.Labels(4, 2));
        var e = Assert.Throws<NablaInputException>(() => IdxDirectory.Load(dir.Path));
        Assert.StartsWith(labels, e.Message);
        Assert.Contains("expected 3 labels", e.Message);
    }

    [Fact]
    public void Load_RejectsImageSizeMismatchAndBadLabels()
    {
        using var dir = new IdxFiles.TempDir();
        IdxFiles.WriteSplits(dir, 3, 2, 2, 2, gzip: false);
        dir.File("t10k-images-idx3-ubyte", IdxFiles.Images(2, 3, 2, 3));
        Assert.Throws<NablaInputException>(() => IdxDirectory.Load(dir.Path));

        IdxFiles.WriteSplits(dir, 3, 2, 2, 2, gzip: false);
        string labels = dir.File("train-labels-idx1-ubyte", IdxFiles.Build([3], [1, 12, 0]));
        var e = Assert.Throws<NablaInputException>(() => IdxDirectory.Load(dir.Path));
        Assert.StartsWith($"{labels}: byte offset 9", e.Message);
    }

    [Fact]
    public void StandardFiles_AreMnistsFour_InLoadOrder_WithRanksAndCounts()
    {
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"], IdxDirectory.FileNames);
        Assert.Equal([3, 1, 3, 1], IdxFile.Standard.Select(f => f.Rank));
        Assert.Equal([60000, 60000, 10000, 10000], IdxFile.Standard.Select(f => f.MnistCount));
        Assert.Equal(IdxDirectory.FileNames.Order(), MnistFetcher.Sha256.Keys.Order());
        Assert.All(MnistFetcher.Sha256.Values, h => Assert.Matches("^[0-9a-f]{64}$", h));
    }

    [Fact]
    public void Load_ChecksSha256WhenGiven()
    {
        using var dir = new IdxFiles.TempDir();
        IdxFiles.WriteSplits(dir, 3, 2, 2, 2, gzip: true);
        var e = Assert.Throws<NablaInputException>(() => IdxDirectory.Load(dir.Path, MnistFetcher.Sha256));
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void DataSource_RejectsMissingDirectory_NamingTheFlag()
    {
        var e = Assert.Throws<NablaInputException>(() => DataSource.Load("/nonexistent/nabla-data-dir"));
        Assert.StartsWith("--data /nonexistent/nabla-data-dir", e.Message);
    }
}
