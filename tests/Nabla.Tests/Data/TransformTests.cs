using Nabla.Data;
using Nabla.Data.Transforms;
using Xunit;

namespace Nabla.Tests.Data;

public class TransformTests
{
    private static Dataset Images(int n, int c, int h, int w)
    {
        var px = new byte[n * c * h * w];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)(i * 37 % 251 + 1);
        float[] mean = [0.1f, 0.2f, 0.3f], std = [0.5f, 0.4f, 0.3f];
        return new Dataset(px, Enumerable.Range(0, n).Select(i => i % 3).ToArray(), c, h, w, 3, mean[..c], std[..c], "t");
    }

    [Fact]
    public void Shift_IsRandomCrop2_BitForBit()
    {
        var d = Images(37, 1, 9, 8);
        var shifts = new DataLoader(d, 8, seed: 5, randomShifts: true);
        var crops = new DataLoader(d, 8, seed: 5, transforms: [new RandomCrop(2)]);
        var a = new float[8 * d.SampleSize]; var b = new float[a.Length]; var y = new int[8];
        for (int epoch = 0; epoch < 2; epoch++)
            for (int batch = 0; batch < shifts.BatchesPerEpoch; batch++)
            {
                int n = shifts.GetBatch(epoch, batch, a, y);
                crops.GetBatch(epoch, batch, b, y);
                // The old definition: the loader's own GetShift applied with ShiftInPlace.
                var idx = new int[8];
                shifts.GetBatchIndices(epoch, batch, idx);
                var want = new float[d.SampleSize];
                for (int i = 0; i < n; i++)
                {
                    d.CopySample(idx[i], want);
                    var (dy, dx) = shifts.GetShift(epoch, idx[i]);
                    DataLoader.ShiftInPlace(want, 1, 9, 8, dy, dx, d.Background);
                    Assert.Equal(want, a.AsSpan(i * d.SampleSize, d.SampleSize).ToArray());
                }
                Assert.Equal(a, b);
            }
    }

    [Fact]
    public void CropAndFlip_RgbMatchNaiveDefinitionsAndArePureFunctionsOfSeedEpochSample()
    {
        var d = Images(20, 3, 6, 5);
        var loader = new DataLoader(d, 7, seed: 3, transforms: [new RandomCrop(3), new RandomHorizontalFlip()]);
        var x = new float[7 * d.SampleSize]; var y = new int[7]; var idx = new int[7];
        float[] bg = d.Backgrounds();
        Assert.Equal(d.Normalize(0, 2), bg[2]);
        int flips = 0;
        for (int batch = 2; batch >= 0; batch--) // any order: no loader state
        {
            int n = loader.GetBatch(1, batch, x, y);
            loader.GetBatchIndices(1, batch, idx);
            for (int i = 0; i < n; i++)
            {
                var src = new float[d.SampleSize];
                d.CopySample(idx[i], src);
                // Replay the draws: dy, dx, then the flip's double.
                var rng = DataRng.Create(3, DataRng.ShiftStream, 1, (ulong)idx[i]);
                int dy = rng.NextInt(7) - 3, dx = rng.NextInt(7) - 3;
                bool flip = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53)) < 0.5;
                flips += flip ? 1 : 0;
                for (int c = 0; c < 3; c++)
                    for (int yy = 0; yy < 6; yy++)
                        for (int xx = 0; xx < 5; xx++)
                        {
                            int sx = flip ? 4 - xx : xx; // flip after the crop
                            int oy = yy - dy, ox = sx - dx;
                            float want = oy is >= 0 and < 6 && ox is >= 0 and < 5 ? src[(c * 6 + oy) * 5 + ox] : bg[c];
                            Assert.Equal(want, x[i * d.SampleSize + (c * 6 + yy) * 5 + xx]);
                        }
            }
        }
        Assert.InRange(flips, 3, 17);
    }

    [Fact]
    public void ParseList_ReadsItemsInOrder_AndNamesTheFlagOnErrors()
    {
        var t = Transform.ParseList("crop=4, flip");
        Assert.Equal(["crop=4", "flip=0.5"], t.Select(x => x.ToString()));
        Assert.Equal("flip=0.25", Transform.ParseList("flip=0.25")[0].ToString());
        foreach (string bad in new[] { "rotate=3", "crop", "crop=0", "crop=x", "flip=2", "" })
            Assert.StartsWith($"--augment {bad}:", Assert.Throws<NablaInputException>(() => Transform.ParseList(bad)).Message);
    }

    [Fact]
    public void Normalization_ParseApplyAndAuto()
    {
        var d = Images(5, 3, 4, 4);
        var splits = new DataSplits(d, d, "t");
        var one = Normalization.Parse("0.5,0.25").Apply(splits);
        Assert.Equal([0.5f, 0.5f, 0.5f], one.Train.Means);
        Assert.Equal((200 / 255f - 0.5f) / 0.25f, one.Test.Normalize(200, 1));
        var per = Normalization.Parse("0.1,0.2,0.3,1,2,4").Apply(splits);
        Assert.Equal([1f, 2f, 4f], per.Train.Stds);
        Assert.StartsWith("--normalize 1,2,3:", Assert.Throws<NablaInputException>(() => Normalization.Parse("1,2,3")).Message);
        Assert.StartsWith("--normalize 0,-1:", Assert.Throws<NablaInputException>(() => Normalization.Parse("0,-1")).Message);
        Assert.StartsWith("--normalize:", Assert.Throws<NablaInputException>(() => Normalization.Parse("0,0,1,1").Apply(splits)).Message);
        var auto = Normalization.Parse("auto").Apply(splits);
        // Naive twin: per channel over every pixel, in double.
        for (int c = 0; c < 3; c++)
        {
            var v = Enumerable.Range(0, 5).SelectMany(i => d.Pixels.Slice((i * 3 + c) * 16, 16).ToArray()).Select(b => b / 255.0).ToArray();
            double m = v.Average(), s = Math.Sqrt(v.Select(a => (a - m) * (a - m)).Average());
            Assert.Equal(m, auto.Train.Means[c], 5);
            Assert.Equal(s, auto.Train.Stds[c], 5);
        }
    }
}
