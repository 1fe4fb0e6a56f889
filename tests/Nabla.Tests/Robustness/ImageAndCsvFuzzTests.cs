using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Nabla.Data.Images;
using Nabla.Data.Tables;
using Nabla.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Robustness;

/// <summary>
/// Property-based fuzzing of the decoders' entry points: PNG, JPEG and BMP files (and CSV tables) are mutated —
/// bytes flipped or set (mostly in headers), truncated, spliced — and the reader must either load them, with
/// buffers that match the sizes it reports, or throw a one-line <see cref="NablaInputException"/> naming the
/// file. Anything else (an index error, an access violation, a hang, gigabytes allocated) fails. Image mutants come
/// from fixed seeds (<see cref="ImageMutator"/>; tools/imagefuzz searches many more), each decoded under a timeout.
/// </summary>
public sealed class ImageAndCsvFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int CsvCases = 100;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-imgfuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private const int ImageSeeds = 2000;

    // A decode takes well under a millisecond; a hung one never returns. The margin is for a loaded machine.
    private static readonly TimeSpan DecodeTimeout = TimeSpan.FromSeconds(10);

    private static readonly string FuzzFixtures = Path.Combine(ImageFixtures.Root, "fuzz");

    [Fact]
    public void MutatedImages_DecodeOrFailWithOneLineNamingTheFile()
    {
        var bases = ImageMutator.Bases.Select(ImageFixtures.Bytes).ToArray();
        int decoded = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        // Seeds 0..1999 hold four of the six mutants that made StbImageSharp loop forever before ImageStructure and
        // StbInputStream (618, 790, 1192, 1726; all kept in Fixtures/images/fuzz); a hang fails here, it cannot freeze.
        for (int seed = 0; seed < ImageSeeds; seed++)
        {
            var m = ImageMutator.Draw(seed);
            byte[] bytes = ImageMutator.Apply(bases, m);
            var (outcome, detail) = ImageMutator.RunWithTimeout(() =>
            {
                var (pixels, w, h) = ImageDecoder.Decode(bytes, m.Channels, m.Name);
                if (pixels.LongLength != (long)m.Channels * w * h) throw new InvalidDataException($"{pixels.Length} bytes for {m.Channels}x{h}x{w}");
            }, DecodeTimeout);
            Assert.True(outcome is ImageMutator.Outcome.Decoded or ImageMutator.Outcome.Rejected, $"{m}: {outcome}: {detail}");
            if (outcome == ImageMutator.Outcome.Rejected)
            {
                Assert.True(detail.StartsWith(m.Name + ": ", StringComparison.Ordinal) && !detail.Contains('\n'), $"{m}: message does not name the file on one line: {detail}");
                rejected++;
            }
            else decoded++;
        }
        output.WriteLine($"{ImageSeeds} mutants in {clock.Elapsed.TotalSeconds:F1} s: {decoded} decoded, {rejected} rejected cleanly");
        Assert.True(clock.Elapsed < Budget, $"{ImageSeeds} mutants took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(decoded > ImageSeeds / 10 && rejected > ImageSeeds / 5, $"decoded {decoded}, rejected {rejected}");
    }

    public static TheoryData<string> HangFixtures() => [.. Directory.GetFiles(FuzzFixtures).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Theory]
    [MemberData(nameof(HangFixtures))]
    public void FormerHangs_AreOneLineErrorsNamingTheFile(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(FuzzFixtures, name));
        foreach (int channels in (int[])[1, 3])
        {
            var (outcome, detail) = ImageMutator.RunWithTimeout(() => ImageDecoder.Decode(bytes, channels, name), DecodeTimeout);
            Assert.Equal(ImageMutator.Outcome.Rejected, outcome);
            Assert.StartsWith(name + ": expected a PNG, JPEG or BMP image, found a corrupt or truncated JPEG (segment FFE0 at byte 2", detail);
        }
    }

    // Without our container check, stb itself must still return on these, because it reads through StbInputStream
    // (on a MemoryStream it loops: a skip past the end leaves Position > Length and its end test never holds).
    [Theory]
    [MemberData(nameof(HangFixtures))]
    public void FormerHangs_StbThroughStbInputStream_Returns(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(FuzzFixtures, name));
        var (outcome, detail) = ImageMutator.RunWithTimeout(() =>
        {
            using var stream = new StbInputStream(bytes);
            StbImageSharp.ImageResult.FromStream(stream, StbImageSharp.ColorComponents.RedGreenBlue);
        }, DecodeTimeout);
        Assert.True(outcome is ImageMutator.Outcome.Failed, $"{outcome}: {detail}");
    }

    [Fact]
    public void MutatedTables_LoadOrFailWithOneLineNamingTheFile()
    {
        var sb = new StringBuilder("a,b,\"c d\",label\n");
        for (int i = 0; i < 30; i++) sb.Append($"{i * 0.5},{-i},{i % 4}e-2,{(i % 3 == 0 ? "x" : "\"y,z\"")}\n");
        byte[] valid = Encoding.UTF8.GetBytes(sb.ToString());
        string path = Path.Combine(_dir, "table.csv");
        int loaded = 0, rejected = 0;
        var gen =
            from kind in Gen.Choose(0, 6)
            from pos in Gen.Choose(0, 1 << 20)
            from value in Gen.Elements((int)',', '"', '\n', '\r', ' ', 'e', '-', '.', 'x', '0', 0, 0xFF)
            from len in Gen.Choose(1, 8)
            select (kind, pos, value, len);
        var property = Prop.ForAll(gen.ToArbitrary(), m =>
        {
            File.WriteAllBytes(path, ImageMutator.Mutate(valid, m.kind, m.pos, m.value, m.len));
            try
            {
                var s = CsvDataset.Load(path, new CsvOptions { ValSplit = 0.3 });
                if (s.Train.Count + s.Test.Count < 1 || s.Train.Classes < 2) throw new Exception($"{m}: loaded an impossible table");
                loaded++;
            }
            catch (NablaInputException e)
            {
                if (!e.Message.StartsWith(path + ": ", StringComparison.Ordinal) || e.Message.Contains('\n'))
                    throw new Exception($"{m}: message does not name the file on one line: {e.Message}");
                rejected++;
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(CsvCases).WithQuietOnSuccess(true), property);
        output.WriteLine($"{CsvCases} tables: {loaded} loaded, {rejected} rejected cleanly");
        Assert.True(loaded > CsvCases / 20 && rejected > CsvCases / 20, $"loaded {loaded}, rejected {rejected}");
    }
}
