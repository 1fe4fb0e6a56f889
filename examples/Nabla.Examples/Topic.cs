namespace Nabla.Examples;

/// <summary>One worked example: its command name, a one-line summary and how to run it.</summary>
/// <param name="Name">The subcommand, e.g. <c>backprop</c>.</param>
/// <param name="Summary">What it shows, in one line.</param>
/// <param name="Run">Runs the example, printing its account to the writer.</param>
/// <param name="Slow">Left out of <c>all</c> (it trains on MNIST).</param>
public sealed record Topic(string Name, string Summary, Func<TextWriter, IExampleResult> Run, bool Slow = false);
