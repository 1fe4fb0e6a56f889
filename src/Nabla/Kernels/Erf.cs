namespace Nabla.Kernels;

/// <summary>The error function in double precision (.NET has none), for GELU's exact form and its float64 reference.</summary>
/// <remarks>Below |x| = 2.5 the Maclaurin series 2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n+1)); up to 6 one minus erfc's continued
/// fraction e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))) evaluated from depth 80; beyond, ±1. Absolute error
/// below 1e-14 on [−8, 8] (checked against PyTorch's torch.erf in ErfTests).</remarks>
internal static class Erf
{
    private static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI), InvSqrtPi = 1 / Math.Sqrt(Math.PI);

    /// <summary>erf(x).</summary>
    public static double Of(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x), r;
        if (ax < 2.5)
        {
            double x2 = ax * ax, term = ax, sum = ax;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * sum) break;
            }
            r = sum * TwoOverSqrtPi;
        }
        else if (ax < 6)
        {
            double t = ax;
            for (int k = 80; k >= 1; k--) t = ax + k * 0.5 / t;
            r = 1 - Math.Exp(-ax * ax) * InvSqrtPi / t;
        }
        else r = 1;
        return x < 0 ? -r : r;
    }
}
