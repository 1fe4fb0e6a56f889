namespace Nabla.Cli;

/// <summary>
/// One `nabla` subcommand. Program discovers every non-abstract implementation by reflection, so a new
/// command is one new file and nothing else changes.
/// </summary>
public interface ICommand
{
    /// <summary>The word after `nabla`, e.g. "train".</summary>
    string Name { get; }

    /// <summary>One line for `nabla --help`.</summary>
    string Summary { get; }

    /// <summary>Full usage text for `nabla NAME --help`: the synopsis and one line per option.</summary>
    string Usage { get; }

    /// <summary>Runs the command. Returns the exit code (0 ok, 1 a check failed). Throws
    /// <see cref="NablaInputException"/> or <see cref="UsageException"/> for bad input (exit 2).</summary>
    int Run(Args args);
}
