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
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Positional("M", "zoo name or spec file"),
        Flag.Valued("model", "M", "the model, instead of the positional M"),
        Flag.Valued("input", "C,H,W", "check at another input size (or F for a flat input) instead of the spec's"),
        Flag.Valued("batch", "N", "random inputs per check (default 2)"),
        Flag.Valued("samples", "K", "elements compared per tensor, chosen at random (default 8)"),
        Flag.Valued("eps", "H", "relative finite-difference step: h = H * max(|value|, 1) (default 1e-6)"),
        Flag.Valued("tol", "T", "bound on each element's |analytic - numeric| / max(|numeric|, floor) (default 1e-3)"),
        Flag.Valued("seed", "S", "seed of the weights, the input and the sampled elements (default 1)"),
        Flag.Valued("mode", "M", "train (default): BatchNorm on batch statistics; eval: on running statistics.\nDropout is always off (a random mask has no derivative to check)."),
        Flag.Switch("all-points", "do not skip non-smooth elements (by default an element that fails is re-evaluated at\nH/2; if the two quotients disagree it sits on a ReLU or max-pool switch and another is drawn)"),
    ];

    public string Notes => """
        The engine's gradient is float32; the finite differences come from an independent float64 interpreter
        of the model (naive loops, the float32 weights widened), as PyTorch's gradcheck demands float64.
        floor = 1e-2 x max(the tensor's largest gradient, 1e-2 x the largest gradient of any tensor): float32
        rounding is relative to a tensor's large entries, and a gradient that is zero in theory (a bias before a
        training-mode BatchNorm) is compared absolutely. The row "forward" compares the float32 output with the
        float64 one: ||y32 - y64||inf / ||y64||inf <= 1e-4.
        exit code 1 when the forward or a tensor exceeds its bound
        """;

    private readonly Func<Module, Module>? _wrap;

    /// <summary>Writes to <paramref name="output"/> and checks <paramref name="wrap"/>(model) instead of the model (tests).</summary>
    internal GradcheckCommand(TextWriter output, Func<Module, Module> wrap) : this(output) => _wrap = wrap;

    public int Run(Args args)
    {
        if (args.Positionals.Count == 0 && !args.Has("model"))
            throw new UsageException("nabla gradcheck: expected a model (zoo name or spec file), found nothing");
        var shape = args.Shape("input");
        int batch = args.Int("batch", 2, 1, 1024);
        int samples = args.Int("samples", 8, 1, int.MaxValue);
        double eps = args.Double("eps", GradCheck.DefaultStep, 1e-12, 1);
        double tol = args.Double("tol", GradCheck.DefaultTolerance, 0, 1e6);
        int seed = args.Int("seed", 1, 0);
        string mode = args.Choice("mode", "train", "train", "eval");
        bool allPoints = args.Flag("all-points");
        string? modelFlag = args.String("model");
        args.EnsureAllUsed(maxPositionals: modelFlag is null ? 1 : 0);
        var spec = Zoo.Resolve(modelFlag ?? args.Positionals[0]);
        if (shape is not null) spec = spec.WithInput(shape);

        Module model = ModelFactory.Build(spec, new Rng((ulong)seed), new Rng((ulong)seed + 1));
        if (_wrap is not null) model = _wrap(model);
        model.Train(mode == "train");
        foreach (var (_, m) in model.NamedModules())
            if (m is Dropout) m.Eval();
        var x = Tensor.Randn(new Rng((ulong)seed + 2), [batch, .. spec.Input]);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var cpu0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var report = GradCheck.Check(model, x, samples, (ulong)seed + 3, tol, eps, skipNonSmooth: !allPoints);
        var entries = report.Tensors;

        var w = _out ?? Console.Out;
        int width = Math.Max(7, entries.Max(e => e.Name.Length));
        var shapes = model.NamedParameters().ToDictionary(p => p.Name, p => ShapeUtil.Format(p.Tensor.Shape));
        shapes["input"] = ShapeUtil.Format(x.Shape);
        int shapeWidth = Math.Max(5, shapes.Values.Max(s => s.Length));
        string how = report.Float64 ? "float64 differences" : $"float32 differences (no float64 twin: {report.Unsupported})";
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gradcheck {spec.Source}: input {ShapeUtil.Format(x.Shape)}, {mode} mode (dropout off), {samples} samples per tensor, {how}, step {report.Step:G3}, tol {report.Tolerance:G3}"));
        w.WriteLine($"{"tensor".PadRight(width)}  {"shape".PadRight(shapeWidth)}  checked  non-smooth  max abs err  max rel err  result");
        if (report.Float64)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"forward".PadRight(width)}  {ShapeUtil.Format(report.OutputShape).PadRight(shapeWidth)}  {"all",7}  {"",10}  {"",11}  {report.ForwardError,11:E2}  {(report.ForwardPassed ? "ok" : $"FAIL (bound {report.ForwardTolerance:G3})")}"));
        foreach (var e in entries)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Name.PadRight(width)}  {shapes[e.Name].PadRight(shapeWidth)}  {e.Checked,7}  {e.NonSmooth,10}  {e.MaxAbsError,11:E2}  {e.MaxRelError,11:E2}  {(!e.Passed ? "FAIL" : e.Checked == 0 ? "n/a (no smooth element)" : "ok")}"));
        int failed = entries.Count(e => !e.Passed) + (report.ForwardPassed ? 0 : 1);
        int unchecked_ = entries.Count(e => e.Checked == 0);
        string verdict = failed == 0
            ? $"all {entries.Count} tensors pass" + (report.Float64 ? " and the forward agrees" : "")
            : $"{failed} of {entries.Count + (report.Float64 ? 1 : 0)} rows FAIL";
        if (unchecked_ > 0) verdict += $" ({unchecked_} with no smooth element)";
        if (!report.ForwardPassed)
            w.WriteLine("note: the float32 forward itself is off the float64 one, so the model is ill-conditioned in float32 at this input"
                + (mode == "train" && model.NamedModules().Any(m => m.Module is BatchNorm)
                    ? " (training-mode BatchNorm over few values per channel?); try a larger --input or --batch, or --mode eval"
                    : ""));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verdict} ({sw.Elapsed.TotalSeconds:F1} s, CPU {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:F1} s)"));
        return failed == 0 ? 0 : 1;
    }
}
