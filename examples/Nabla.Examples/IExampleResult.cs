namespace Nabla.Examples;

/// <summary>What every example returns: whether the claim it demonstrates held in this run.</summary>
public interface IExampleResult
{
    /// <summary>True when the computed figures bear out the example's claim (within its named tolerance).</summary>
    bool Holds { get; }
}
