using System.Globalization;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>Small double-precision matrix helpers for the by-hand side of the examples (explicit loops, no library ops).</summary>
public static class Dense
{
    /// <summary>A row-major (rows x cols) copy of a 2-D tensor, widened to double.</summary>
    public static double[,] FromTensor(Tensor t)
    {
        int r = t.Shape[0], c = t.Numel / r;
        var m = new double[r, c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) m[i, j] = t.Data[i * c + j];
        return m;
    }

    /// <summary>A column vector from a 1-D tensor (or any tensor, flattened).</summary>
    public static double[] Vector(Tensor t) => t.ToArray().Select(v => (double)v).ToArray();

    /// <summary>C = A·B by the triple loop.</summary>
    public static double[,] MatMul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        if (b.GetLength(0) != k) throw new ArgumentException($"inner sizes differ: {k} vs {b.GetLength(0)}");
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i, p] * b[p, j];
                c[i, j] = s;
            }
        return c;
    }

    /// <summary>y = A·x.</summary>
    public static double[] MatVec(double[,] a, double[] x)
    {
        int n = a.GetLength(0), k = a.GetLength(1);
        var y = new double[n];
        for (int i = 0; i < n; i++) { double s = 0; for (int p = 0; p < k; p++) s += a[i, p] * x[p]; y[i] = s; }
        return y;
    }

    /// <summary>Aᵀ.</summary>
    public static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var t = new double[m, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) t[j, i] = a[i, j];
        return t;
    }

    /// <summary>A·diag(d): column j scaled by d[j].</summary>
    public static double[,] TimesDiag(double[,] a, double[] d)
    {
        var c = (double[,])a.Clone();
        for (int i = 0; i < c.GetLength(0); i++) for (int j = 0; j < c.GetLength(1); j++) c[i, j] *= d[j];
        return c;
    }

    /// <summary>The n x n identity.</summary>
    public static double[,] Identity(int n)
    {
        var e = new double[n, n];
        for (int i = 0; i < n; i++) e[i, i] = 1;
        return e;
    }

    /// <summary>The outer product u·vᵀ.</summary>
    public static double[,] Outer(double[] u, double[] v)
    {
        var c = new double[u.Length, v.Length];
        for (int i = 0; i < u.Length; i++) for (int j = 0; j < v.Length; j++) c[i, j] = u[i] * v[j];
        return c;
    }

    /// <summary>Row <paramref name="i"/> of a matrix.</summary>
    public static double[] Row(double[,] a, int i) => Enumerable.Range(0, a.GetLength(1)).Select(j => a[i, j]).ToArray();

    /// <summary>max |a_i − b_i| over two equally long sequences (float or double).</summary>
    public static double MaxAbsDiff(IEnumerable<double> a, IEnumerable<double> b)
    {
        double m = 0;
        using var ea = a.GetEnumerator();
        using var eb = b.GetEnumerator();
        while (true)
        {
            bool ha = ea.MoveNext(), hb = eb.MoveNext();
            if (ha != hb) throw new ArgumentException("sequences differ in length");
            if (!ha) return m;
            m = Math.Max(m, Math.Abs(ea.Current - eb.Current));
        }
    }

    /// <summary>max |a_i − b_i| between a matrix and a tensor of the same element count (row-major).</summary>
    public static double MaxAbsDiff(double[,] a, Tensor b) => MaxAbsDiff(a.Cast<double>(), b.ToArray().Select(v => (double)v));

    /// <summary>max |a_i − b_i| between two tensors.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b) =>
        MaxAbsDiff(a.ToArray().Select(v => (double)v), b.ToArray().Select(v => (double)v));

    /// <summary>The Euclidean (Frobenius) norm.</summary>
    public static double Norm(IEnumerable<double> v) => Math.Sqrt(v.Sum(x => x * x));

    /// <summary>The Euclidean norm of a tensor's elements.</summary>
    public static double Norm(Tensor t) => Norm(t.ToArray().Select(v => (double)v));

    /// <summary>The largest singular value ‖A‖₂, by power iteration on AᵀA (deterministic start).</summary>
    public static double SpectralNorm(double[,] a, int iterations = 500)
    {
        int m = a.GetLength(1);
        var v = Enumerable.Range(0, m).Select(i => 1.0 + 0.01 * i).ToArray();
        var at = Transpose(a);
        double sigma = 0;
        for (int it = 0; it < iterations; it++)
        {
            var w = MatVec(at, MatVec(a, v));
            double n = Norm(w);
            if (n == 0) return 0;
            for (int i = 0; i < m; i++) v[i] = w[i] / n;
            sigma = Math.Sqrt(n);
        }
        return sigma;
    }

    /// <summary>A number for the printed accounts: 4 significant digits, invariant culture.</summary>
    public static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>An integer with thousands separators.</summary>
    public static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A matrix as aligned rows.</summary>
    public static void Print(TextWriter o, double[,] a, string indent = "    ", string format = "F4")
    {
        for (int i = 0; i < a.GetLength(0); i++)
        {
            o.Write(indent);
            for (int j = 0; j < a.GetLength(1); j++) o.Write(a[i, j].ToString(format, CultureInfo.InvariantCulture).PadLeft(9));
            o.WriteLine();
        }
    }
}
