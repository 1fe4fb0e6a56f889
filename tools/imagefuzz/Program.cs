// Finds the seeds whose mutant makes ImageDecoder.Decode loop, crash or misreport, by running many more seeds than
// the fuzz test does (tests/Nabla.Tests/Robustness/ImageDecoderFuzzTests.cs), each decode under a timeout.
//
//   dotnet run -c Release --project tools/imagefuzz -- FIRST_SEED COUNT [OUT_DIR] [TIMEOUT_S] [-v]
//
// Prints one line per seed that hung or failed and a tally; writes those mutants to OUT_DIR (default
// /tmp/imagefuzz) as seed-N-<base>, ready to be kept under tests/Nabla.Tests/Fixtures/images/fuzz/; -v prints
// every rejection's message too.
// Exit 1 when any seed hung or failed. Stops after 8 hangs: each hung decode keeps spinning on a core.
using Nabla;
using Nabla.Data.Images;
using Nabla.Tests.Robustness;

string root = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "tests", "Nabla.Tests", "Fixtures", "images");
if (args.Length < 2 || !int.TryParse(args[0], out int first) || !int.TryParse(args[1], out int count) || count < 1)
{
    Console.Error.WriteLine("usage: imagefuzz FIRST_SEED COUNT [OUT_DIR] [TIMEOUT_S] [-v]");
    return 2;
}
string outDir = args.Length > 2 ? args[2] : "/tmp/imagefuzz";
var timeout = TimeSpan.FromSeconds(args.Length > 3 ? double.Parse(args[3]) : 3);
bool verbose = args.Length > 4 && args[4] == "-v";
Directory.CreateDirectory(outDir);
var bases = ImageMutator.Bases.Select(b => File.ReadAllBytes(Path.Combine(root, b))).ToArray();
var tally = new Dictionary<ImageMutator.Outcome, int>();
int hangs = 0;
for (int seed = first; seed < first + count && hangs < 8; seed++)
{
    var m = ImageMutator.Draw(seed);
    byte[] bytes = ImageMutator.Apply(bases, m);
    var (outcome, detail) = ImageMutator.RunWithTimeout(() =>
    {
        var (px, w, h) = ImageDecoder.Decode(bytes, m.Channels, m.Name);
        if (px.LongLength != (long)m.Channels * w * h) throw new InvalidDataException($"{px.Length} bytes for {m.Channels}x{h}x{w}");
    }, timeout);
    if (outcome == ImageMutator.Outcome.Rejected && (!detail.StartsWith(m.Name + ": ", StringComparison.Ordinal) || detail.Contains('\n')))
        (outcome, detail) = (ImageMutator.Outcome.Failed, "message does not name the file on one line: " + detail);
    tally[outcome] = tally.GetValueOrDefault(outcome) + 1;
    if (verbose && outcome == ImageMutator.Outcome.Rejected) Console.WriteLine($"rejected: {detail}");
    if (outcome is ImageMutator.Outcome.Hung or ImageMutator.Outcome.Failed)
    {
        if (outcome == ImageMutator.Outcome.Hung) hangs++;
        File.WriteAllBytes(Path.Combine(outDir, m.Name), bytes);
        Console.WriteLine($"{outcome}: {m} ({bytes.Length} bytes): {detail}");
    }
}
Console.WriteLine(string.Join(", ", tally.OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key.ToString().ToLowerInvariant()}")));
return tally.GetValueOrDefault(ImageMutator.Outcome.Hung) + tally.GetValueOrDefault(ImageMutator.Outcome.Failed) > 0 ? 1 : 0;
