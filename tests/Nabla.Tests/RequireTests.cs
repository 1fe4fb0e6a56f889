using Nabla.Data;
using Nabla.Distributed;
using Nabla.Tests.Data;
using Xunit;

namespace Nabla.Tests;

/// <summary>The argument checks of the data and distributed layers: one message format (parameter, value found,
/// what was expected), and the parameter named by the caller's expression.</summary>
public sealed class RequireTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(0, 0)]
    public void AtLeast_ReturnsTheValue_WhenItIsAtLeastTheMinimum(int value, int min) =>
        Assert.Equal(value, Require.AtLeast(value, min));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 0)]
    [InlineData(int.MinValue, 1)]
    public void AtLeast_BelowTheMinimum_NamesTheArgumentAndTheBound(int batchSize, int min) =>
        AssertOutOfRange(() => Require.AtLeast(batchSize, min), nameof(batchSize), batchSize, $"expected at least {min}");

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public void Index_InRange_ReturnsTheValue(int value, int count) => Assert.Equal(value, Require.Index(value, count));

    [Theory]
    [InlineData(-1, 3)]
    [InlineData(3, 3)]
    [InlineData(0, 0)]
    [InlineData(int.MinValue, 3)]
    public void Index_OutOfRange_SaysTheHalfOpenRange(int index, int count) =>
        AssertOutOfRange(() => Require.Index(index, count), nameof(index), index, $"expected [0, {count})");

    // The one message format: the parameter named, the value carried, then what was expected.
    private static void AssertOutOfRange(Func<int> check, string name, int value, string expected)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => check());
        Assert.Equal(name, e.ParamName);
        Assert.Equal(value, e.ActualValue);
        Assert.StartsWith($"{expected} (Parameter '{name}')", e.Message);
    }

    [Fact]
    public void NotNull_NamesTheArgument()
    {
        string? path = null;
        Assert.Equal(nameof(path), Assert.Throws<ArgumentNullException>(() => Require.NotNull(path)).ParamName);
        Assert.Same("x", Require.NotNull("x"));
    }

    [Fact]
    public void DataLoader_Constructor_NamesTheBadArgument()
    {
        Assert.Equal("dataset", Assert.Throws<ArgumentNullException>(() => new DataLoader(null!, 0)).ParamName);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(DatasetTests.Synthetic(4), 0));
        Assert.Equal("batchSize", e.ParamName);
        Assert.Equal(0, e.ActualValue);
    }

    [Fact]
    public void DataLoader_Positions_AreChecked()
    {
        var loader = new DataLoader(DatasetTests.Synthetic(10), 4);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => loader.BatchLength(3)).ParamName);
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => loader.Seek(-1)).ParamName);
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => loader.GetBatchIndices(-1, 0, new int[4])).ParamName);
        Assert.Equal(2, loader.BatchLength(2));
    }

    [Theory]
    [InlineData(0, 2, 2, "channels")]
    [InlineData(1, 0, 2, "height")]
    [InlineData(1, 2, 0, "width")]
    public void Dataset_Constructor_NamesTheSizeThatIsNotPositive(int channels, int height, int width, string name)
    {
        var e = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new Dataset([], [], channels, height, width));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Dataset_Indices_AreChecked()
    {
        var d = DatasetTests.Synthetic(5);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => d.CopySample(5, new float[d.SampleSize])).ParamName);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => d.Select([0, -1], "bad"));
        Assert.Equal("indices", e.ParamName);
        Assert.Equal(-1, e.ActualValue);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset([], [], 1, 1, 1, classes: 0)).ParamName);
    }

    [Fact]
    public void Shard_ChecksEachArgument()
    {
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.Shard(-1, 0, 1)).ParamName);
        Assert.Equal("size", Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.Shard(4, 0, 0)).ParamName);
        Assert.Equal("rank", Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.Shard(4, -1, 2)).ParamName);
    }
}
