using System.Reflection;
using Nabla;
using Nabla.Cli;

var commands = typeof(ICommand).Assembly.GetTypes()
    .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (ICommand)Activator.CreateInstance(t)!)
    .OrderBy(c => c.Name, StringComparer.Ordinal)
    .ToDictionary(c => c.Name);

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("nabla — deep learning in pure C#\n\nusage: nabla <command> [options]\n\ncommands:");
    foreach (var c in commands.Values) Console.WriteLine($"  {c.Name,-10} {c.Summary}");
    Console.WriteLine("\nSee README.md and docs/cli.md for every option.");
    return args.Length == 0 ? 2 : 0;
}

if (!commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine($"nabla: unknown command '{args[0]}' (commands: {string.Join(", ", commands.Keys)})");
    return 2;
}

if (args.Skip(1).Any(a => a is "--help" or "-h"))
{
    Console.WriteLine(command.Usage);
    return 0;
}

try
{
    return command.Run(new Args(command.Name, args.Skip(1)));
}
catch (NablaInputException e)
{
    Console.Error.WriteLine(e.Message.StartsWith("nabla", StringComparison.Ordinal) ? e.Message : $"nabla {command.Name}: {e.Message}");
    return 2;
}
