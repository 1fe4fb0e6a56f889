namespace Nabla;

/// <summary>
/// A problem with something a user handed to Nabla: a file (spec, safetensors, IDX, checkpoint), a flag
/// or an argument. The message is one line that names the source (file and line or byte offset, or the
/// flag) and says what was expected and what was found. The CLI prints it and exits with code 2.
/// </summary>
public class NablaInputException : Exception
{
    /// <summary>Creates the exception with a one-line message naming the source of the problem.</summary>
    public NablaInputException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the underlying cause.</summary>
    public NablaInputException(string message, Exception inner) : base(message, inner) { }
}
