namespace Nabla.Cli;

/// <summary>Bad command-line usage: an unknown flag, a missing or malformed value. Exit code 2.</summary>
public sealed class UsageException(string message) : NablaInputException(message);
