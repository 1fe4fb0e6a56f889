using System.Globalization;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla gradcheck M`: central finite differences against autograd for the input and every parameter of a
/// model (<see cref="GradCheck"/>), one table row per tensor; exit 1 when any tensor fails.
/// </summary>
public sealed class GradcheckCommand : ICommand
{
    private readonly TextWriter? _out;

    /// <summary>Writes to the console.</summary>
    public GradcheckCommand() { }

    /// <summary>Writes to <paramref name="output"/> (tests).</summary>
    internal GradcheckCommand(TextWriter output) => _out = output;

    public string Name => "gradcheck";
    public string Summary => "finite-difference check of the input and every parameter gradient";
    public string Usage => """
        usage: nabla gradcheck M [--input C,H,W] [--batch N] [--samples K] [--eps H] [--tol T] [--seed S] [--mode train|eval]

          M              zoo name or spec file
          --input C,H,W  check at another input size (or F for a flat input) instead of the spec's
          --batch N      random inputs per check (default 2)
          --samples K    elements perturbed per tensor, chosen at random (default 8; each costs two forward passes)
          --eps H        finite-difference step (default 1e-2; the engine is float32)
          --tol T        bound on the relative error (default 1e-2)
          --seed S       seed of the weights, the input and the sampled elements (default 1)
          --mode M       train (default): BatchNorm on batch statistics; eval: on running statistics.
                         Dropout is always off (a random mask has no derivative to check).
          --all-points   do not skip non-smooth elements (by default an element whose differences at H and
                         H/2 disagree sits on a ReLU or max-pool switch; it is skipped and another is drawn)
        exit code 1 when a tensor's max relative error exceeds the bound
        """;

    public int Run(Args args)
    {
        if (args.Positionals.Count == 0 && !args.Has("model"))
            throw new UsageException("nabla gradcheck: expected a model (zoo name or spec file), found nothing");
        var shape = args.Shape("input");
        int batch = args.Int("batch", 2, 1, 1024);
        int samples = args.Int("samples", 8, 1, int.MaxValue);
        double eps = args.Double("eps", 1e-2, 1e-8, 1);
        double tol = args.Double("tol", 1e-2, 0, 1e6);
        int seed = args.Int("seed", 1, 0);
        string mode = args.Choice("mode", "train", "train", "eval");
        bool allPoints = args.Flag("all-points");
        string? modelFlag = args.String("model");
        args.EnsureAllUsed(maxPositionals: modelFlag is null ? 1 : 0);
        var spec = Zoo.Resolve(modelFlag ?? args.Positionals[0]);
        if (shape is not null) spec = spec.WithInput(shape);

        var model = ModelFactory.Build(spec, new Rng((ulong)seed), new Rng((ulong)seed + 1));
        model.Train(mode == "train");
        foreach (var (_, m) in model.NamedModules())
            if (m is Dropout) m.Eval();
        var x = Tensor.Randn(new Rng((ulong)seed + 2), [batch, .. spec.Input]);
        var entries = GradCheck.Check(model, x, eps, tol, samples, (ulong)seed + 3, skipNonSmooth: !allPoints);

        var w = _out ?? Console.Out;
        int width = Math.Max(6, entries.Max(e => e.Name.Length));
        var shapes = model.NamedParameters().ToDictionary(p => p.Name, p => ShapeUtil.Format(p.Tensor.Shape));
        shapes["input"] = ShapeUtil.Format(x.Shape);
        int shapeWidth = Math.Max(5, shapes.Values.Max(s => s.Length));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gradcheck {spec.Source}: input {ShapeUtil.Format(x.Shape)}, {mode} mode (dropout off), eps {eps:G3}, tol {tol:G3}, {samples} samples per tensor"));
        w.WriteLine($"{"tensor".PadRight(width)}  {"shape".PadRight(shapeWidth)}  checked  non-smooth  max abs err  max rel err  result");
        foreach (var e in entries)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Name.PadRight(width)}  {shapes[e.Name].PadRight(shapeWidth)}  {e.Checked,7}  {e.NonSmooth,10}  {e.MaxAbsError,11:E2}  {e.MaxRelError,11:E2}  {(!e.Passed ? "FAIL" : e.Checked == 0 ? "n/a (no smooth element)" : "ok")}"));
        int failed = entries.Count(e => !e.Passed);
        w.WriteLine(failed == 0
            ? $"all {entries.Count} tensors pass"
            : $"{failed} of {entries.Count} tensors FAIL");
        return failed == 0 ? 0 : 1;
    }
}
