using System.Globalization;
using Nabla.Analysis;
using Nabla.IO.Spec;
using Spectre.Console;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla summary M`: per-layer output shapes, parameters, multiplications, additions, activation evaluations
/// and receptive fields (CONTRACTS §4, docs/counting.md), as a table, JSON or CSV.
/// </summary>
public sealed class SummaryCommand : ICommand
{
    private readonly TextWriter? _out;

    /// <summary>Writes to the console.</summary>
    public SummaryCommand() { }

    /// <summary>Writes to <paramref name="output"/> (tests).</summary>
    internal SummaryCommand(TextWriter output) => _out = output;

    public string Name => "summary";
    public string Summary => "per-layer shapes, parameters, mults, adds, activations, receptive fields";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Positional("M", "a zoo name (" + string.Join(", ", Zoo.Names) + ") or a spec file"),
        Flag.Valued("input", "C,H,W", "analyze at another input shape (or F for flat input) instead of the spec's"),
        Flag.Valued("format", "FMT", "table (default), json (CONTRACTS §4) or csv (one row per layer)"),
        Flag.Valued("index-base", "B", "0: input ranges as Python slices, end exclusive (default);\n1: 1-based inclusive ranges, e.g. X[:, 4i-9 : 4i+6, 4j-9 : 4j+6]"),
    ];

    public int Run(Args args)
    {
        var shape = args.Shape("input");
        string format = args.Choice("format", "table", "table", "json", "csv");
        string indexBase = args.Choice("index-base", "0", "0", "1");
        args.EnsureAllUsed(maxPositionals: 1);
        if (args.Positionals.Count == 0)
            throw new UsageException("nabla summary: expected a model (zoo name or spec file), found nothing");

        var spec = Zoo.Resolve(args.Positionals[0]);
        if (shape is not null) spec = spec.WithInput(shape);
        var summary = ModelAnalyzer.Analyze(spec);
        var output = _out ?? Console.Out;
        switch (format)
        {
            case "json": output.Write(SummaryFormats.ToJson(summary)); break;
            case "csv": output.Write(SummaryFormats.ToCsv(summary)); break;
            default: WriteTable(summary, indexBase == "1" ? 1 : 0, output); break;
        }
        return 0;
    }

    private static void WriteTable(ModelSummary summary, int indexBase, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        // Wide enough for the widest row, so that a redirected table is never wrapped.
        console.Profile.Width = 240;

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("name");
        table.AddColumn("type");
        table.AddColumn(new TableColumn("output").RightAligned());
        foreach (var c in new[] { "params", "mults", "adds", "activations", "rf size", "rf stride" })
            table.AddColumn(new TableColumn(c).RightAligned());
        table.AddColumn(indexBase == 1 ? "output (i, j) sees (1-based, inclusive)" : "output (i, j) sees (0-based slice)");

        var subtotalsAfter = summary.Layers
            .SelectMany(r => r.Subtotals.Select(b => (Row: r, Branch: b)))
            .ToLookup(x => x.Branch.LastRow);
        foreach (var (row, branch) in subtotalsAfter[-1]) AddSubtotal(table, row, branch);
        for (int i = 0; i < summary.Layers.Count; i++)
        {
            var r = summary.Layers[i];
            var rf = r.ReceptiveField;
            string name = new string(' ', 2 * r.Depth) + r.Name;
            string type = r.Subtotals.Count > 0 ? $"[bold]{r.Type}[/]" : r.Type;
            table.AddRow(
                Markup.Escape(name), type, Markup.Escape(string.Join("x", r.OutputShape)),
                N(r.Counts.Params), N(r.Counts.Mults), N(r.Counts.Adds), N(r.Counts.Activations),
                rf is null ? "-" : Pair(rf.H.Size, rf.W.Size), rf is null ? "-" : Pair(rf.H.Stride, rf.W.Stride),
                rf is null ? "-" : Markup.Escape(rf.Range(indexBase)));
            foreach (var (row, branch) in subtotalsAfter[i]) AddSubtotal(table, row, branch);
        }
        var t = summary.Total;
        table.AddEmptyRow();
        table.AddRow("[bold]total[/]", "", Markup.Escape(string.Join("x", summary.OutputShape)),
            $"[bold]{N(t.Params)}[/]", $"[bold]{N(t.Mults)}[/]", $"[bold]{N(t.Adds)}[/]", $"[bold]{N(t.Activations)}[/]", "", "", "");
        table.Caption(Markup.Escape($"{summary.Source}: input {string.Join("x", summary.Input)}, counts per sample; " +
            "a block's own row follows its inner rows; ranges are before clipping to the image"));
        console.Write(table);
    }

    private static void AddSubtotal(Table table, LayerSummary block, BranchSubtotal b)
    {
        string indent = new string(' ', 2 * (block.Depth + 1));
        var c = b.Counts;
        table.AddRow(Markup.Escape($"{indent}Σ {block.Name} {b.Label}"), "[dim]subtotal[/]", "",
            $"[dim]{N(c.Params)}[/]", $"[dim]{N(c.Mults)}[/]", $"[dim]{N(c.Adds)}[/]", $"[dim]{N(c.Activations)}[/]", "", "", "");
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Pair(long h, long w) =>
        h == w ? h.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{h}x{w}");
}
