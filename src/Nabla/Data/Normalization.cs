using System.Globalization;

namespace Nabla.Data;

/// <summary>
/// torchvision's <c>Normalize(mean, std)</c> for the samples of a split pair: fixed per-channel values, or
/// <see cref="Auto"/> (the mean and population standard deviation of pixel / 255 over the training set, per channel).
/// </summary>
/// <param name="Mean">C means (or one, used for every channel); null with <paramref name="Auto"/>.</param>
/// <param name="Std">C standard deviations (or one); null with <paramref name="Auto"/>.</param>
/// <param name="Auto">Whether the values are computed on the training set.</param>
public sealed record Normalization(float[]? Mean, float[]? Std, bool Auto = false)
{
    /// <summary>Parses <c>--normalize</c>: <c>auto</c>, <c>MEAN,STD</c>, or C means then C standard deviations
    /// (<c>0.49,0.48,0.45,0.25,0.24,0.26</c>).</summary>
    /// <exception cref="NablaInputException">The text is neither.</exception>
    public static Normalization Parse(string text)
    {
        if (text == "auto") return new Normalization(null, null, true);
        var parts = text.Split(',');
        var v = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !float.IsFinite(v[i]))
                throw new NablaInputException($"--normalize {text}: expected 'auto' or MEAN,STD numbers, found '{parts[i]}'");
        if (parts.Length < 2 || parts.Length % 2 != 0)
            throw new NablaInputException($"--normalize {text}: expected 'auto', MEAN,STD, or C means followed by C standard deviations, found {parts.Length} numbers");
        int c = parts.Length / 2;
        if (v[c..].Any(s => !(s > 0))) throw new NablaInputException($"--normalize {text}: expected positive standard deviations");
        return new Normalization(v[..c], v[c..]);
    }

    /// <summary>The text <see cref="Parse"/> reads back: <c>auto</c> or the means then the standard deviations.</summary>
    public string Describe() => Auto ? "auto" : string.Join(",", Mean!.Concat(Std!).Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>Both splits normalised with this normalisation (tables are returned unchanged: CSV features are
    /// standardised when read).</summary>
    /// <exception cref="NablaInputException">The number of values fits neither 1 nor the data's channels.</exception>
    public DataSplits Apply(DataSplits splits)
    {
        var train = splits.Train;
        if (train.IsTable) return splits;
        int c = train.Channels;
        float[] mean, std;
        if (Auto) (mean, std) = ChannelStatistics(train);
        else
        {
            if (Mean!.Length != 1 && Mean.Length != c)
                throw new NablaInputException($"--normalize: expected 1 or {c} means and standard deviations for the {c}-channel images of {splits.Source}, found {Mean.Length}");
            mean = Mean.Length == c ? Mean : Enumerable.Repeat(Mean[0], c).ToArray();
            std = Std!.Length == c ? Std : Enumerable.Repeat(Std[0], c).ToArray();
        }
        return splits with { Train = train.WithNormalization(mean, std), Test = splits.Test.WithNormalization(mean, std) };
    }

    /// <summary>The mean and population standard deviation of pixel / 255 per channel over <paramref name="d"/>
    /// (accumulated in integers, so exact whatever the order).</summary>
    public static (float[] Mean, float[] Std) ChannelStatistics(Dataset d)
    {
        int c = d.Channels, plane = d.Height * d.Width;
        var sum = new long[c];
        var sq = new long[c];
        ReadOnlySpan<byte> px = d.Pixels;
        for (int i = 0; i < d.Count; i++)
            for (int ch = 0; ch < c; ch++)
            {
                ReadOnlySpan<byte> p = px.Slice((i * c + ch) * plane, plane);
                long s = 0, q = 0;
                foreach (byte b in p) { s += b; q += b * b; }
                sum[ch] += s;
                sq[ch] += q;
            }
        double n = (double)d.Count * plane;
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = sum[ch] / n, var = sq[ch] / n - m * m;
            mean[ch] = (float)(m / 255);
            std[ch] = (float)Math.Max(Math.Sqrt(Math.Max(var, 0)) / 255, 1e-6);
        }
        return (mean, std);
    }
}
