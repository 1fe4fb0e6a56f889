namespace Nabla.Autograd;

/// <summary>Whether ops record the graph. <c>using (GradMode.NoGrad()) { ... }</c> turns recording off.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;
    [ThreadStatic] private static bool _anomaly;

    /// <summary>True when ops record a graph (the default).</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary>When on, every recorded op checks its output, and every backward the gradients it produced, and
    /// the first non-finite value throws an <see cref="AnomalyException"/> naming the op (slow; a debugging aid
    /// like torch.autograd.detect_anomaly).</summary>
    public static bool DetectAnomaly { get => _anomaly; set => _anomaly = value; }

    /// <summary>Disables recording until the returned scope is disposed (nestable).</summary>
    public static IDisposable NoGrad() { _disabledDepth++; return new Scope(); }

    private sealed class Scope : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { _done = true; _disabledDepth--; } }
    }
}
