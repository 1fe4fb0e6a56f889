using Nabla.Reporting;

namespace Nabla.Cli.Commands;

/// <summary>`nabla report RUN_DIR`: rebuilds report.html of a training run (also one in progress or interrupted).</summary>
public sealed class ReportCommand : ICommand
{
    public string Name => "report";
    public string Summary => "rebuild the HTML report of a training run";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Positional("RUN_DIR", "the --out directory of nabla train (metrics.csv, run.json, steps.csv, predictions.csv)"),
    ];

    public string Notes => """
        Writes RUN_DIR/report.html: run options and machine, curves, confusion matrix, most confident mistakes
        (images read from the run's --data) and the layer table. Works while the run is going on or after it stopped.
        """;

    public int Run(Args args)
    {
        args.EnsureAllUsed(maxPositionals: 1);
        if (args.Positionals.Count == 0) throw new UsageException("nabla report: expected a run directory (the --out of nabla train), found nothing");
        string dir = args.Positionals[0];
        if (!Directory.Exists(dir)) throw new NablaInputException($"nabla report: {dir}: no such directory");
        Console.WriteLine($"report: {RunFiles.Rebuild(dir)}");
        return 0;
    }
}
