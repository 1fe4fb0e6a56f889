using FsCheck;
using FsCheck.Fluent;
using Nabla.Tests.Training;
using Nabla.Training;
using Xunit;

namespace Nabla.Tests.Robustness;

/// <summary>
/// Property-based fuzzing of checkpoints: a real checkpoint is mutated (byte flips anywhere, truncation,
/// metadata values replaced) and <c>--resume</c>'s loader must either restore it or throw a one-line
/// <see cref="NablaInputException"/> naming the file.
/// </summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    private const int Cases = 10_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-ckfuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void MutatedCheckpoints_LoadOrFailWithOneLineNamingTheFile()
    {
        var options = new TrainOptions { Model = TrainerTests.SpecFile(_dir), Epochs = 1, BatchSize = 32, OutDir = Path.Combine(_dir, "run"), Optimizer = "adam" };
        var data = TrainerTests.Synthetic(64, 32);
        var trainer = new Trainer(options, data: data);
        trainer.Run();
        byte[] valid = File.ReadAllBytes(trainer.Outputs.Checkpoint);
        string path = Path.Combine(_dir, "mutant.safetensors");
        int headerLen = (int)BitConverter.ToInt64(valid, 0) + 8;

        var gen =
            from kind in Gen.Choose(0, 3)
            from a in Gen.Choose(0, int.MaxValue - 1)
            from b in Gen.Choose(0, 255)
            select (kind, a, b);
        var t = new Trainer(options with { OutDir = Path.Combine(_dir, "resume") }, data: data);
        bool Check((int kind, int a, int b) m)
        {
            var bytes = (byte[])valid.Clone();
            switch (m.kind)
            {
                case 0: bytes[m.a % bytes.Length] ^= (byte)(1 + m.b % 255); break;                 // anywhere
                case 1: bytes[8 + m.a % (headerLen - 8)] = (byte)(32 + m.b % 95); break;           // header text
                case 2: bytes = bytes[..(m.a % bytes.Length)]; break;                                // truncation
                default: bytes[headerLen + m.a % (bytes.Length - headerLen)] = (byte)m.b; break;     // data
            }
            try
            {
                Checkpoint.Load(Nabla.IO.SafeTensorsFile.Read(bytes, path), t.Model, t.Optimizer, new Nabla.Tensors.Rng(0), options);
                return true;
            }
            catch (NablaInputException e) { return e.Message.StartsWith(path, StringComparison.Ordinal) && !e.Message.Contains('\n'); }
        }
        Prop.ForAll(Arb.From(gen), (Func<(int, int, int), bool>)Check)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true));
    }
}
