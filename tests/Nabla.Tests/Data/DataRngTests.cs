using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Data;

public class DataRngTests
{
    [Fact]
    public void SplitMix64_MatchesReferenceVector()
    {
        // Published outputs of Vigna's splitmix64.c for seed 1234567.
        ulong state = 1234567;
        ulong[] expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        foreach (ulong e in expected) Assert.Equal(e, DataRng.SplitMix64(ref state));
    }

    [Fact]
    public void Xoshiro256StarStar_MatchesReferenceVector()
    {
        // Outputs of Vigna's xoshiro256starstar.c from state {1, 2, 3, 4}.
        var rng = DataRng.FromState(1, 2, 3, 4);
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240];
        foreach (ulong e in expected) Assert.Equal(e, rng.NextUInt64());
    }

    [Fact]
    public void NextInt_StaysInRangeAndCoversIt()
    {
        var rng = DataRng.Create(3, 4, 5);
        foreach (int bound in new[] { 1, 2, 3, 5, 10, 1000 })
        {
            var seen = new HashSet<int>();
            for (int i = 0; i < 20 * bound; i++)
            {
                int v = rng.NextInt(bound);
                Assert.InRange(v, 0, bound - 1);
                seen.Add(v);
            }
            Assert.Equal(bound, seen.Count);
        }
    }

    [Fact]
    public void Create_DependsOnEveryWord()
    {
        ulong a = DataRng.Create(1, 2, 3, 4).NextUInt64();
        Assert.NotEqual(a, DataRng.Create(0, 2, 3, 4).NextUInt64());
        Assert.NotEqual(a, DataRng.Create(1, 0, 3, 4).NextUInt64());
        Assert.NotEqual(a, DataRng.Create(1, 2, 0, 4).NextUInt64());
        Assert.NotEqual(a, DataRng.Create(1, 2, 3, 0).NextUInt64());
        Assert.Equal(a, DataRng.Create(1, 2, 3, 4).NextUInt64());
    }
}
