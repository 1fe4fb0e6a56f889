namespace Nabla.Examples;

/// <summary>
/// <c>dotnet run --project examples/Nabla.Examples -- &lt;topic&gt;</c>: runs one worked example (or <c>all</c>) and
/// prints its account. <c>list</c> (or no argument) lists the topics.
/// </summary>
public static class Program
{
    /// <summary>Entry point: 0 when the example's claim held, 1 when it did not, 2 for an unknown topic.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command line <paramref name="args"/>, printing to <paramref name="output"/> and errors to <paramref name="error"/>.</summary>
    /// <returns>0 when the example's claim held (or for <c>list</c>), 1 when it did not, 2 for an unknown topic.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "list" or "-h" or "--help" or "help")
        {
            output.WriteLine("usage: dotnet run --project examples/Nabla.Examples -- <topic>|all\n\ntopics:");
            foreach (var t in Topics.All) output.WriteLine($"  {t.Name,-16} {t.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "all")
        {
            bool ok = true;
            foreach (var t in Topics.All.Where(t => !t.Slow))
            {
                output.WriteLine($"==== {t.Name}: {t.Summary}");
                ok &= t.Run(output).Holds;
                output.WriteLine();
            }
            return ok ? 0 : 1;
        }
        var topic = Topics.All.FirstOrDefault(t => t.Name == args[0]);
        if (topic is null)
        {
            error.WriteLine($"unknown topic '{args[0]}'; expected one of: {string.Join(", ", Topics.All.Select(t => t.Name))}, all");
            return 2;
        }
        return topic.Run(output).Holds ? 0 : 1;
    }
}
