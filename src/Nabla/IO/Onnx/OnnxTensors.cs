using System.Buffers.Binary;
using Google.Protobuf;
using Nabla.IO.Onnx.Proto;

namespace Nabla.IO.Onnx;

/// <summary>Decodes ONNX tensors (initializers, Constant values) into float or int64 arrays, checking every size
/// against the bytes actually present before allocating, and resolving external data inside the model's folder only.</summary>
internal static class OnnxTensors
{
    /// <summary>The largest tensor Nabla accepts: 2^31 - 1 elements (a .NET array).</summary>
    private const long MaxElements = int.MaxValue;

    internal const int Float = 1, Int32 = 6, Int64 = 7, Double = 11;

    /// <summary>Checks the dims and returns the element count.</summary>
    internal static long Count(TensorProto t, string src)
    {
        long n = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) throw new NablaInputException($"{src}: tensor '{t.Name}' has a negative dimension {d}");
            // Each dimension must fit an int even when another is 0 (an empty tensor of dims [0, 2^31] is no tensor).
            if (d > int.MaxValue) throw new NablaInputException($"{src}: tensor '{t.Name}' has dimension {d}, larger than {int.MaxValue}");
            if (d != 0 && n > MaxElements / d)
                throw new NablaInputException($"{src}: tensor '{t.Name}' has dims [{string.Join(", ", t.Dims)}], more than {MaxElements} elements");
            n *= d;
        }
        return n;
    }

    /// <summary>The tensor as float32 (FLOAT, DOUBLE, INT32 and INT64 are converted).</summary>
    internal static float[] Floats(TensorProto t, string src, string? folder)
    {
        long n = Count(t, src);
        switch (t.DataType)
        {
            case Float:
                if (t.FloatData.Count > 0) return Exact(t.FloatData.ToArray(), n, t, src);
                return Decode(Raw(t, n, 4, src, folder), n, 4, (s) => BinaryPrimitives.ReadSingleLittleEndian(s));
            case Double:
                if (t.DoubleData.Count > 0) return Exact(t.DoubleData.Select(v => (float)v).ToArray(), n, t, src);
                return Decode(Raw(t, n, 8, src, folder), n, 8, (s) => (float)BinaryPrimitives.ReadDoubleLittleEndian(s));
            case Int64:
            case Int32:
                return Int64s(t, src, folder).Select(v => (float)v).ToArray();
            default:
                throw new NablaInputException($"{src}: tensor '{t.Name}' has data type {t.DataType}; Nabla reads FLOAT, DOUBLE, INT32 and INT64");
        }
    }

    /// <summary>The tensor as int64 (INT64 and INT32).</summary>
    internal static long[] Int64s(TensorProto t, string src, string? folder)
    {
        long n = Count(t, src);
        return t.DataType switch
        {
            Int64 when t.Int64Data.Count > 0 => Exact(t.Int64Data.ToArray(), n, t, src),
            Int64 => Decode(Raw(t, n, 8, src, folder), n, 8, (s) => BinaryPrimitives.ReadInt64LittleEndian(s)),
            Int32 when t.Int32Data.Count > 0 => Exact(t.Int32Data.Select(v => (long)v).ToArray(), n, t, src),
            Int32 => Decode(Raw(t, n, 4, src, folder), n, 4, (s) => (long)BinaryPrimitives.ReadInt32LittleEndian(s)),
            _ => throw new NablaInputException($"{src}: tensor '{t.Name}' has data type {t.DataType}, expected INT64 or INT32 (shape values)"),
        };
    }

    private static T[] Exact<T>(T[] values, long n, TensorProto t, string src) =>
        values.Length == n ? values
            : throw new NablaInputException($"{src}: tensor '{t.Name}' holds {values.Length} values, its dims [{string.Join(", ", t.Dims)}] need {n}");

    private delegate T Reader<T>(ReadOnlySpan<byte> s);

    private static T[] Decode<T>(ReadOnlySpan<byte> raw, long n, int size, Reader<T> read)
    {
        var r = new T[n];
        for (int i = 0; i < r.Length; i++) r[i] = read(raw.Slice(i * size, size));
        return r;
    }

    private static ReadOnlySpan<byte> Raw(TensorProto t, long n, int size, string src, string? folder)
    {
        byte[] raw = t.DataLocation == 1 ? External(t, n * size, src, folder) : t.RawData.ToByteArray();
        if (raw.LongLength != n * size)
            throw new NablaInputException($"{src}: tensor '{t.Name}' has {raw.LongLength} bytes of data, its dims [{string.Join(", ", t.Dims)}] need {n * size}");
        return raw;
    }

    private static byte[] External(TensorProto t, long need, string src, string? folder)
    {
        var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!kv.TryGetValue("location", out var location) || location.Length == 0)
            throw new NablaInputException($"{src}: tensor '{t.Name}' is stored externally but names no location");
        string root = Path.GetFullPath(folder ?? ".");
        string path = Path.GetFullPath(Path.Combine(root, location));
        string rootSlash = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(location) || !path.StartsWith(rootSlash, StringComparison.Ordinal))
            throw new NablaInputException($"{src}: tensor '{t.Name}' has external data '{location}' outside the model's folder");
        if (!File.Exists(path)) throw new NablaInputException($"{src}: tensor '{t.Name}': external data file '{location}' does not exist");
        long offset = kv.TryGetValue("offset", out var o) && long.TryParse(o, out var ov) ? ov : 0;
        long length = kv.TryGetValue("length", out var l) && long.TryParse(l, out var lv) ? lv : need;
        long fileLength = new FileInfo(path).Length;
        if (offset < 0 || length != need || offset > fileLength - length)
            throw new NablaInputException($"{src}: tensor '{t.Name}': external data '{location}' (offset {offset}, length {length}) does not hold the {need} bytes its dims need (file has {fileLength})");
        using var f = File.OpenRead(path);
        f.Seek(offset, SeekOrigin.Begin);
        var buf = new byte[length];
        f.ReadExactly(buf);
        return buf;
    }

    /// <summary>A FLOAT tensor with raw little-endian data (what exporters write).</summary>
    internal static TensorProto Make(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        var t = new TensorProto { Name = name, DataType = Float, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>An INT64 tensor.</summary>
    internal static TensorProto MakeInt64(string name, long[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        t.Int64Data.AddRange(data);
        t.Dims.AddRange(dims);
        return t;
    }
}
