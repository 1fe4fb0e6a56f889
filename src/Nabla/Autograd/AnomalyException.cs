namespace Nabla.Autograd;

/// <summary>With <see cref="GradMode.DetectAnomaly"/> on, an op's forward produced a non-finite value or its backward a
/// non-finite gradient. The message names the op: <c>anomaly: the forward of 'linear' produced a non-finite value
/// (Infinity)</c>.</summary>
public sealed class AnomalyException : ArithmeticException
{
    internal AnomalyException(string op, bool backward, float value)
        : base(backward
            ? $"anomaly: the backward of '{op}' produced a non-finite gradient ({value})"
            : $"anomaly: the forward of '{op}' produced a non-finite value ({value})")
    {
        Op = op;
        InBackward = backward;
        Value = value;
    }

    /// <summary>The op's name as recorded in the graph, e.g. <c>linear</c>.</summary>
    public string Op { get; }

    /// <summary>True when the op's backward produced the value (a gradient of one of its inputs), false for its forward.</summary>
    public bool InBackward { get; }

    /// <summary>The first non-finite value found.</summary>
    public float Value { get; }
}
