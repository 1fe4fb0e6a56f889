using System.Globalization;
using System.Text;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>
/// The small data sets the data CLI tests (DataFlagsCliTests, DataJsonCliTests) write into a temporary directory:
/// two-class image folders of noisy BMPs and two-class CSV tables, both separable by a small model in an epoch or two.
/// </summary>
internal sealed class CliDataFiles : IDisposable
{
    public CliDataFiles(string prefix) => Dir = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The temporary directory (removed by <see cref="Dispose"/>).</summary>
    public string Dir { get; }

    public void Dispose() => Directory.Delete(Dir, true);

    /// <summary>The full path of <paramref name="relative"/> in <see cref="Dir"/>.</summary>
    public string P(string relative) => Path.Combine(Dir, relative);

    /// <summary>Writes <paramref name="content"/> to <paramref name="relative"/> (folders created) and returns its path.</summary>
    public string Put(string relative, byte[] content)
    {
        string p = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, content);
        return p;
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 to <paramref name="relative"/> and returns its path.</summary>
    public string Put(string relative, string text) => Put(relative, Encoding.UTF8.GetBytes(text));

    /// <summary>A bottom-up 24-bit BMP of <paramref name="w"/> x <paramref name="h"/> whose pixels are level + noise.</summary>
    public static byte[] Bmp(int w, int h, int level, Random rng)
    {
        int stride = (w * 3 + 3) / 4 * 4;
        var b = new byte[54 + stride * h];
        "BM"u8.CopyTo(b);
        BitConverter.TryWriteBytes(b.AsSpan(2), b.Length);
        BitConverter.TryWriteBytes(b.AsSpan(10), 54);
        BitConverter.TryWriteBytes(b.AsSpan(14), 40);
        BitConverter.TryWriteBytes(b.AsSpan(18), w);
        BitConverter.TryWriteBytes(b.AsSpan(22), h);
        BitConverter.TryWriteBytes(b.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(b.AsSpan(28), (short)24);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w * 3; x++) b[54 + y * stride + x] = (byte)Math.Clamp(level + rng.Next(-40, 41), 0, 255);
        return b;
    }

    /// <summary>NAME/&lt;split&gt;/{dark,light}/i.bmp, <paramref name="perClass"/> images of each class per split
    /// (split "" for the flat layout), at pixel levels <paramref name="dark"/> and <paramref name="light"/> plus noise.</summary>
    public string Folder(string name, string[] splits, int perClass, int seed, int dark, int light, int w = 8, int h = 8)
    {
        var rng = new Random(seed);
        foreach (string split in splits)
            foreach (var (cls, level) in (ReadOnlySpan<(string, int)>)[("dark", dark), ("light", light)])
                for (int i = 0; i < perClass; i++) Put(Path.Combine(name, split, cls, $"{i:D2}.bmp"), Bmp(w, h, level, rng));
        return P(name);
    }

    /// <summary>NAME, a table <c>x,kind,y</c> of <paramref name="rows"/> rows: every <paramref name="every"/>-th row is
    /// "up" (x shifted by +<paramref name="shift"/>, y by -1), the others "down"; x and y carry uniform noise in [0, 1).</summary>
    public string UpDownTable(string name, int rows, int seed, int every, double shift)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("x,kind,y\n");
        for (int i = 0; i < rows; i++)
        {
            bool up = i % every == 0;
            sb.Append(CultureInfo.InvariantCulture, $"{rng.NextDouble() + (up ? shift : 0):F3},{(up ? "up" : "down")},{rng.NextDouble() - (up ? 1 : 0):F3}\n");
        }
        return Put(name, sb.ToString());
    }

    /// <summary>Asserts a CLI run exited 0, showing its output when it did not.</summary>
    public static void AssertOk((int Code, string Out, string Err) r) => Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}{r.Out}");
}
