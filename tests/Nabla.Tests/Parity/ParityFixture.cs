using System.Text.Json;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Parity;

/// <summary>Reads the PyTorch fixture files written by tools/make_fixtures.py (one JSON file per family).</summary>
internal static class ParityFixture
{
    private static readonly Dictionary<string, JsonDocument> Cache = new(StringComparer.Ordinal);
    private static readonly object Gate = new();

    /// <summary>The parsed file Fixtures/parity/&lt;family&gt;.json from the test output directory.</summary>
    public static JsonElement Root(string family)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(family, out var doc))
            {
                string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", family + ".json");
                Cache[family] = doc = JsonDocument.Parse(File.ReadAllBytes(path));
            }
            return doc.RootElement;
        }
    }

    /// <summary>The case names of a family, for xunit's MemberData.</summary>
    public static TheoryData<string> Names(string family)
    {
        var data = new TheoryData<string>();
        foreach (var c in Root(family).GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    /// <summary>One case of a family by name.</summary>
    public static JsonElement Case(string family, string name)
    {
        foreach (var c in Root(family).GetProperty("cases").EnumerateArray())
            if (c.GetProperty("name").GetString() == name) return c;
        throw new KeyNotFoundException($"{family}.json has no case '{name}'");
    }

    /// <summary>A {"shape", "data"} object as a float32 tensor (JSON numbers of float32 inputs round-trip exactly).</summary>
    public static Tensor ToTensor(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        return new Tensor(data, shape);
    }

    /// <summary>A {"shape", "data"} object as float64 values (the reference, unrounded to float32).</summary>
    public static (int[] Shape, double[] Data) ToReference(JsonElement e) =>
        (e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
         e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray());

    /// <summary>A name → tensor map (a state dict).</summary>
    public static Dictionary<string, Tensor> ToStateDict(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => ToTensor(p.Value), StringComparer.Ordinal);

    /// <summary>An int array property.</summary>
    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>An (h, w) pair from a two-element array.</summary>
    public static (int h, int w) Pair(JsonElement e)
    {
        var a = Ints(e);
        return (a[0], a[1]);
    }
}
