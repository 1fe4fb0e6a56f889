using System.Collections;
using Nabla.Distributed;
using Nabla.Tests.Training;
using Nabla.Training;
using Xunit;

namespace Nabla.Tests.Distributed;

/// <summary>The parts of data-parallel training that need no MPI: launch detection, sharding, bucket plans, and the
/// guarantee that a single process never loads libmpi.</summary>
public sealed class DataParallelTests
{
    [Theory]
    [InlineData(64, 2)]
    [InlineData(41, 2)]
    [InlineData(1, 2)]
    [InlineData(0, 3)]
    [InlineData(100, 7)]
    [InlineData(5, 8)]
    public void Shard_CoversTheBatchContiguously_SizesDifferByAtMostOne(int n, int size)
    {
        int next = 0, min = int.MaxValue, max = 0;
        for (int r = 0; r < size; r++)
        {
            var (start, count) = DataParallel.Shard(n, r, size);
            Assert.Equal(next, start);
            next = start + count;
            min = Math.Min(min, count); max = Math.Max(max, count);
        }
        Assert.Equal(n, next);
        Assert.True(max - min <= 1, $"shard sizes {min}..{max}");
    }

    [Fact]
    public void Shard_RejectsRankOutsideTheWorld() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.Shard(10, 2, 2));

    [Fact]
    public void Plan_KeepsParametersWhole_InOrder_UnderTheBucketSize()
    {
        int[] sizes = [3, 4, 10, 1, 1, 2, 0, 5];
        var plan = DataParallel.Plan(sizes, 6).ToList();
        Assert.Equal([(0, 1), (1, 2), (2, 3), (3, 7), (7, 8)], plan);
        Assert.Equal([(0, sizes.Length)], DataParallel.Plan(sizes, 1000).ToList());
        Assert.Empty(DataParallel.Plan([], 10));
    }

    [Fact]
    public void Detect_ReadsOpenMpiVariables_AndIgnoresAPlainEnvironment()
    {
        Assert.Null(MpiLaunch.Detect(new Hashtable { ["PATH"] = "/usr/bin" }));
        Assert.Equal(new MpiLaunch(1, 4, 2), MpiLaunch.Detect(new Hashtable { ["OMPI_COMM_WORLD_SIZE"] = "4", ["OMPI_COMM_WORLD_RANK"] = "1", ["OMPI_COMM_WORLD_LOCAL_SIZE"] = "2" }));
        Assert.Equal(new MpiLaunch(3, 0, 1), MpiLaunch.Detect(new Hashtable { ["PMIX_RANK"] = "3" }));
    }

    [Fact]
    public void Load_MissingLibrary_ThrowsOneLineNamingIt()
    {
        var e = Assert.Throws<NablaInputException>(() => MpiNative.Load(["libmpi-does-not-exist.so.99"]));
        Assert.Contains("libmpi-does-not-exist.so.99", e.Message);
        Assert.Contains("openmpi-bin", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(MpiNative.IsLoaded);
    }

    [Fact]
    public void SingleProcessTraining_NeverLoadsMpi()
    {
        Assert.Null(MpiLaunch.FromEnvironment()); // the test host is not launched by mpirun
        string dir = Directory.CreateTempSubdirectory("nabla-dp-").FullName;
        try
        {
            var o = new TrainOptions { Model = TrainerTests.SpecFile(dir), Data = "synthetic", Epochs = 1, BatchSize = 64, OutDir = Path.Combine(dir, "out") };
            new Trainer(o, data: TrainerTests.Synthetic(128, 32)).Run();
            Assert.False(MpiNative.IsLoaded);
        }
        finally { Directory.Delete(dir, true); }
    }
}
