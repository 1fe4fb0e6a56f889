using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Nabla.Cli;

/// <summary>
/// The `nabla` program on System.CommandLine: one <see cref="Command"/> per <see cref="ICommand"/>, its options
/// built from the command's <see cref="ICommand.Flags"/>. System.CommandLine parses (also <c>--flag=value</c>
/// and <c>@response-files</c>), writes help and answers completion requests; its parse errors become one line
/// <c>nabla CMD: ...</c> with exit code 2, as every other bad input.
/// </summary>
public static class CliApp
{
    private const string Title = "nabla — deep learning in pure C#";
    private const string RootNotes = "See README.md and docs/cli.md for every option.";

    /// <summary>Every command, discovered by reflection, ordered by name.</summary>
    public static IReadOnlyList<ICommand> Commands { get; } = typeof(ICommand).Assembly.GetTypes()
        .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => (ICommand)Activator.CreateInstance(t)!)
        .OrderBy(c => c.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Runs `nabla ARGS`: help, usage errors and the command's own output. Returns the exit code.</summary>
    /// <param name="args">The arguments after `nabla`.</param>
    /// <param name="output">Where help goes (commands write to the console themselves).</param>
    /// <param name="error">Where the one-line error goes.</param>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        if (args.Count == 0)
        {
            Invoke(Tree().Root.Parse(["--help"]), output, error);
            return 2;
        }
        if (args[0] == "help") args = args.Count == 1 ? ["--help"] : [args[1], "--help"];
        string first = args[0];
        if (first.Length > 0 && first[0] is not ('-' or '@' or '[') && Commands.All(c => c.Name != first))
            return UnknownCommand(first, error);

        var tree = Tree();
        var parse = tree.Root.Parse(args);
        if (parse.Action is CommandLineAction { ClearsParseErrors: true }) return Invoke(parse, output, error); // help, completion
        if (!tree.Bound.TryGetValue(parse.CommandResult.Command, out var bound))
        {
            if (parse.Errors.Count == 0) return Invoke(parse, output, error); // --version
            string? token = parse.UnmatchedTokens.FirstOrDefault();
            if (token is null) error.WriteLine($"nabla: {Args.Sentence(parse.Errors[0].Message)}");
            else if (token.StartsWith('-')) error.WriteLine($"nabla: unknown option {token} (see 'nabla --help')");
            else return UnknownCommand(token, error);
            return 2;
        }
        try
        {
            if (parse.Errors.Count > 0) _ = new Args(bound, parse); // throws the first problem as one line
            return Invoke(parse, output, error);
        }
        catch (NablaInputException e)
        {
            error.WriteLine(e.Message.StartsWith("nabla", StringComparison.Ordinal) ? e.Message : $"nabla {bound.Command.Name}: {e.Message}");
            return 2;
        }
    }

    private static int UnknownCommand(string name, TextWriter error)
    {
        error.WriteLine($"nabla: unknown command '{name}' (commands: {string.Join(", ", Commands.Select(c => c.Name))})");
        return 2;
    }

    /// <summary>The text of `nabla NAME --help` (`nabla --help` for null).</summary>
    public static string Help(string? name)
    {
        var w = new StringWriter();
        Run(name is null ? ["--help"] : [name, "--help"], w, w);
        return w.ToString();
    }

    /// <summary>Parses <paramref name="args"/> (the arguments after the command's name) for the command named
    /// <paramref name="command"/>, as `nabla COMMAND ARGS` would.</summary>
    /// <exception cref="UsageException">An unknown flag, a missing value, a flag given twice, a surplus argument.</exception>
    internal static Args Parse(string command, IEnumerable<string> args)
    {
        var tree = Tree();
        var parse = tree.Root.Parse([command, .. args]);
        var bound = tree.Bound.Values.SingleOrDefault(b => b.Command.Name == command)
            ?? throw new ArgumentException($"no command '{command}'", nameof(command));
        if (parse.CommandResult.Command != bound.Symbol) throw new UsageException($"nabla {command}: could not parse the arguments");
        return new Args(bound, parse);
    }

    private static int Invoke(ParseResult parse, TextWriter output, TextWriter error) =>
        parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });

    /// <summary>One command as System.CommandLine sees it: its options and positionals by declaration.</summary>
    internal sealed record BoundCommand(ICommand Command, Command Symbol, IReadOnlyList<(Flag Flag, Option Option)> Options,
        IReadOnlyList<(Flag Flag, Argument<string> Argument)> Positionals);

    private sealed record CommandTree(RootCommand Root, IReadOnlyDictionary<Command, BoundCommand> Bound);

    /// <summary>A fresh tree per parse: System.CommandLine's symbols are not shared between threads (tests run in parallel).</summary>
    private static CommandTree Tree()
    {
        var root = new RootCommand(Title) { HelpName = "nabla" };
        var bound = new Dictionary<Command, BoundCommand>();
        foreach (var c in Commands)
        {
            var symbol = new Command(c.Name, c.Summary);
            var options = new List<(Flag, Option)>();
            var positionals = new List<(Flag, Argument<string>)>();
            foreach (var f in c.Flags)
            {
                if (f.IsPositional)
                {
                    var a = new Argument<string>(f.Name) { Description = f.Help, Arity = ArgumentArity.ZeroOrOne, Hidden = f.Hidden };
                    symbol.Add(a);
                    positionals.Add((f, a));
                    continue;
                }
                Option o = f.IsSwitch
                    ? new Option<bool>(f.Token) { Arity = ArgumentArity.ZeroOrOne }
                    : f.MaxValues == 1
                        ? new Option<string>(f.Token) { Arity = ArgumentArity.ExactlyOne }
                        : new Option<string[]>(f.Token) { Arity = new ArgumentArity(f.MinValues, f.MaxValues), AllowMultipleArgumentsPerToken = true };
                o.Description = f.Help;
                o.HelpName = f.Value;
                o.Hidden = f.Hidden;
                symbol.Add(o);
                options.Add((f, o));
            }
            var b = new BoundCommand(c, symbol, options, positionals);
            symbol.SetAction(parse => c.Run(new Args(b, parse)));
            root.Add(symbol);
            bound[symbol] = b;
        }
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithNotes((HelpAction)help.Action!, bound);
        return new CommandTree(root, bound);
    }

    /// <summary>System.CommandLine's help, then the command's <see cref="ICommand.Notes"/>.</summary>
    private sealed class HelpWithNotes(HelpAction help, IReadOnlyDictionary<Command, BoundCommand> bound) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var config = parseResult.InvocationConfiguration;
            var output = config.Output;
            // Wrap to the terminal; never when redirected (docs/cli.md and the tests see the same text).
            help.MaxWidth = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && Console.WindowWidth > 0 ? Console.WindowWidth : int.MaxValue;
            var text = new StringWriter();
            config.Output = text;
            try { help.Invoke(parseResult); }
            finally { config.Output = output; }
            output.Write(text.ToString().ReplaceLineEndings("\n").TrimEnd('\n') + "\n");
            string notes = bound.TryGetValue(parseResult.CommandResult.Command, out var b) ? b.Command.Notes : RootNotes;
            if (notes.Length > 0) output.Write("\n" + notes.ReplaceLineEndings("\n").TrimEnd('\n') + "\n");
            return 0;
        }
    }
}
