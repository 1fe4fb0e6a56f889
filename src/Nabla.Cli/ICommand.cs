namespace Nabla.Cli;

/// <summary>
/// One `nabla` subcommand. <see cref="CommandLine"/> discovers every non-abstract implementation by reflection,
/// so a new command is one new file and nothing else changes.
/// </summary>
public interface ICommand
{
    /// <summary>The word after `nabla`, e.g. "train".</summary>
    string Name { get; }

    /// <summary>One line for `nabla --help` and the top of `nabla NAME --help`.</summary>
    string Summary { get; }

    /// <summary>Every option and positional the command reads, in help order. A flag the body reads must be
    /// declared here (reading an undeclared one is a programming error); a flag given but not declared is
    /// an unknown option (exit 2).</summary>
    IReadOnlyList<Flag> Flags { get; }

    /// <summary>Text printed after the options in `nabla NAME --help`: other forms of the call, how the
    /// options combine, what the exit code means. Empty by default.</summary>
    string Notes => "";

    /// <summary>Runs the command. Returns the exit code (0 ok, 1 a check failed). Throws
    /// <see cref="NablaInputException"/> or <see cref="UsageException"/> for bad input (exit 2).</summary>
    int Run(Args args);
}
