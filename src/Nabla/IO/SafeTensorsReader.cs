using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Nabla.IO;

/// <summary>
/// Reads safetensors data without trusting it: every size and offset is checked against the file's
/// length before anything sized by it is allocated, so a hostile file costs at most its own size in memory.
/// </summary>
internal static class SafeTensorsReader
{
    /// <summary>Largest accepted JSON header, as the reference implementation (100 MB).</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    private const int LengthBytes = 8;

    private readonly record struct Entry(string Name, SafeDType DType, int[] Shape, long Count, ulong Begin, ulong End);

    public static SafeTensorsFile ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) throw new NablaInputException("safetensors path is empty; expected a file name");
        if (Directory.Exists(path)) throw new NablaInputException($"{path}: is a directory; expected a safetensors file");
        if (!File.Exists(path)) throw new NablaInputException($"{path}: no such file");
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return Read(fs, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NablaInputException($"{path}: cannot read ({OneLine(e.Message)})", e);
        }
    }

    public static SafeTensorsFile Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long length = stream.Length - stream.Position;
        if (length == 0) throw Fail(source, "file is empty; expected an 8-byte header length, then a JSON header");
        if (length < LengthBytes) throw Fail(source, $"file is {length} bytes, too short for the 8-byte header length");

        Span<byte> prefix = stackalloc byte[LengthBytes];
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        ulong rest = (ulong)(length - LengthBytes);
        if (n == 0) throw Fail(source, "header length at byte 0 is 0; expected a JSON object");
        if (n > rest) throw Fail(source, $"header length at byte 0 is {n}, past the end of the file (only {rest} bytes follow)");
        if (n > MaxHeaderBytes) throw Fail(source, $"header length at byte 0 is {n}, above the {MaxHeaderBytes}-byte limit");

        var header = new byte[n];
        stream.ReadExactly(header);
        var (entries, metadata) = ParseHeader(source, header);
        ulong bufferLength = rest - n;
        CheckLayout(source, entries, bufferLength, LengthBytes + n);

        // Offsets cover the buffer contiguously, so reading in offset order is a sequential read.
        var data = new Array[entries.Count];
        foreach (int i in Enumerable.Range(0, entries.Count).OrderBy(i => entries[i].Begin).ThenBy(i => entries[i].End))
        {
            var e = entries[i];
            try
            {
                data[i] = ReadData(stream, e);
            }
            catch (EndOfStreamException)
            {
                throw Fail(source, $"file ended while reading tensor {Quote(e.Name)} (expected data up to byte {LengthBytes + n + e.End})");
            }
        }
        var tensors = new SafeTensor[entries.Count];
        for (int i = 0; i < tensors.Length; i++)
            tensors[i] = SafeTensor.Validated(entries[i].Name, entries[i].DType, entries[i].Shape, data[i]);
        return new SafeTensorsFile(source, tensors, metadata);
    }

    private static (List<Entry>, IReadOnlyDictionary<string, string>) ParseHeader(string source, byte[] header)
    {
        int bad = FirstInvalidUtf8(header);
        if (bad >= 0) throw Fail(source, $"header is not valid UTF-8 at byte {LengthBytes + bad} (found 0x{header[bad]:X2})");
        if (header[0] != (byte)'{')
            throw Fail(source, $"header at byte {LengthBytes} starts with {Describe(header[0])}; expected '{{'");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            long at = LengthBytes + LineStart(header, e.LineNumber ?? 0) + (e.BytePositionInLine ?? 0);
            throw Fail(source, $"header is not valid JSON at byte {at} ({JsonReason(e.Message)})");
        }
        using (doc)
        {
            try
            {
                return WalkHeader(source, doc.RootElement);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
            {
                // Values are type-checked before use, so this is an escaped string that decodes to invalid UTF-16 (e.g. "\ud800").
                throw Fail(source, $"header holds a JSON string that is not valid Unicode ({OneLine(e.Message)})");
            }
        }
    }

    private static (List<Entry>, IReadOnlyDictionary<string, string>) WalkHeader(string source, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"header is a JSON {Kind(root)}; expected an object");
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw Fail(source, $"header lists {Quote(p.Name)} twice; expected unique names");
            if (p.Name == SafeTensor.MetadataKey)
            {
                ReadMetadata(source, p.Value, metadata);
            }
            else
            {
                entries.Add(ReadEntry(source, p.Name, p.Value));
            }
        }
        return (entries, metadata);
    }

    private static void ReadMetadata(string source, JsonElement value, Dictionary<string, string> into)
    {
        if (value.ValueKind == JsonValueKind.Null) return; // the reference writes no entry, but tolerates null
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"__metadata__ is a JSON {Kind(value)}; expected an object of strings");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"__metadata__ key {Quote(m.Name)} has a {Kind(m.Value)} value; expected a string");
            if (!into.TryAdd(m.Name, m.Value.GetString()!))
                throw Fail(source, $"__metadata__ lists key {Quote(m.Name)} twice; expected unique keys");
        }
    }

    private static Entry ReadEntry(string source, string name, JsonElement value)
    {
        string t = "tensor " + Quote(name);
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"{t} is a JSON {Kind(value)}; expected an object with dtype, shape and data_offsets");
        if (!value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Fail(source, $"{t} has no string 'dtype' (found {KindOf(value, "dtype")})");
        string dtypeName = dt.GetString()!;
        if (!SafeDTypeExtensions.TryParse(dtypeName, out var dtype))
            throw Fail(source, $"{t} has dtype {Quote(dtypeName, quoted: false)}; Nabla reads F32, F64, I64, I8");

        if (!value.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Fail(source, $"{t} has no 'shape' array (found {KindOf(value, "shape")})");
        var shape = new int[sh.GetArrayLength()];
        long count = 1;
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw Fail(source, $"{t} shape[{k}] is {Raw(d)}; expected a non-negative integer");
            if (dim > int.MaxValue)
                throw Fail(source, $"{t} shape[{k}] is {dim}; Nabla supports dimensions up to {int.MaxValue}");
            shape[k++] = (int)dim;
            count = Math.Min(count * dim, (long)int.MaxValue + 1); // saturating: both factors ≤ 2^31
        }
        if (count > Array.MaxLength)
            throw Fail(source, $"{t} shape [{string.Join(", ", shape)}] has more elements than an array holds (limit {Array.MaxLength})");

        if (!value.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Fail(source, $"{t} has no 'data_offsets' [begin, end] pair (found {Raw(value, "data_offsets")})");
        if (!off[0].TryGetUInt64Strict(out ulong begin) || !off[1].TryGetUInt64Strict(out ulong end))
            throw Fail(source, $"{t} data_offsets are {Raw(off)}; expected two non-negative integers");
        if (end < begin)
            throw Fail(source, $"{t} data_offsets [{begin}, {end}] end before they begin");
        ulong expected = (ulong)count * (ulong)dtype.ItemSize();
        if (end - begin != expected)
            throw Fail(source, $"{t} data_offsets [{begin}, {end}] span {end - begin} bytes; expected {expected} for {dtype} shape [{string.Join(", ", shape)}]");
        return new Entry(name, dtype, shape, count, begin, end);
    }

    private static bool TryGetUInt64Strict(this JsonElement e, out ulong v)
    {
        v = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out v);
    }

    /// <summary>Offsets must lie in the buffer and tile it exactly: no overlap, no gap, no trailing bytes.</summary>
    private static void CheckLayout(string source, List<Entry> entries, ulong bufferLength, ulong bufferStart)
    {
        foreach (var e in entries)
            if (e.End > bufferLength)
                throw Fail(source, $"tensor {Quote(e.Name)} data_offsets [{e.Begin}, {e.End}] run past the data buffer, which holds {bufferLength} bytes (file bytes {bufferStart}..{bufferStart + bufferLength})");
        ulong at = 0;
        string? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < at)
                throw Fail(source, $"tensor {Quote(e.Name)} data_offsets [{e.Begin}, {e.End}] overlap tensor {Quote(previous!)}, which ends at {at}");
            if (e.Begin > at)
                throw Fail(source, $"tensor {Quote(e.Name)} data_offsets begin at {e.Begin}; expected {at} (the buffer has {e.Begin - at} unused bytes before it)");
            at = e.End;
            previous = e.Name;
        }
        if (at != bufferLength)
            throw Fail(source, $"data buffer holds {bufferLength} bytes but the tensors cover {at}; expected no trailing bytes (from file byte {bufferStart + at})");
    }

    private static Array ReadData(Stream stream, Entry e) => e.DType switch
    {
        SafeDType.F32 => ReadElements<float>(stream, e.Count),
        SafeDType.F64 => ReadElements<double>(stream, e.Count),
        SafeDType.I8 => ReadElements<sbyte>(stream, e.Count),
        _ => ReadElements<long>(stream, e.Count),
    };

    /// <summary>Reads <paramref name="count"/> little-endian elements (byte-swapped on a big-endian host).</summary>
    private static unsafe T[] ReadElements<T>(Stream stream, long count) where T : unmanaged
    {
        const int Chunk = 1 << 20; // elements per read, so the byte span of one read always fits an int
        var a = new T[count];
        for (int i = 0; i < a.Length; i += Chunk)
            stream.ReadExactly(MemoryMarshal.AsBytes(a.AsSpan(i, Math.Min(Chunk, a.Length - i))));
        if (!BitConverter.IsLittleEndian && sizeof(T) > 1)
        {
            var bytes = MemoryMarshal.AsBytes(a.AsSpan());
            for (int i = 0; i < bytes.Length; i += sizeof(T)) bytes.Slice(i, sizeof(T)).Reverse();
        }
        return a;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            if (bytes[i] < 0x80) { i++; continue; }
            if (System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out int used) != System.Buffers.OperationStatus.Done) return i;
            i += used;
        }
        return -1;
    }

    private static long LineStart(byte[] bytes, long line)
    {
        long seen = 0;
        for (int i = 0; i < bytes.Length && seen < line; i++)
            if (bytes[i] == (byte)'\n' && ++seen == line) return i + 1;
        return 0;
    }

    private static string JsonReason(string message)
    {
        // System.Text.Json appends " Path: $ | LineNumber: 0 | BytePositionInLine: 7."; the offset is reported separately.
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return OneLine(cut > 0 ? message[..cut] : message).TrimEnd('.');
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static string KindOf(JsonElement obj, string key) => obj.TryGetProperty(key, out var v) ? "a " + Kind(v) : "nothing";

    private static string Raw(JsonElement obj, string key) => obj.TryGetProperty(key, out var v) ? Raw(v) : "nothing";

    private static string Raw(JsonElement e) => Clip(OneLine(e.GetRawText()), 60);

    private static string Describe(byte b) => b >= 0x20 && b < 0x7F ? $"'{(char)b}'" : $"byte 0x{b:X2}";

    internal static NablaInputException Fail(string source, string problem) => new($"{source}: {problem}");

    /// <summary>Quotes a name for a one-line message: control characters escaped, long names clipped.</summary>
    internal static string Quote(string name, bool quoted = true)
    {
        string text = Printable(Clip(name, 80));
        return quoted ? $"'{text}'" : text;
    }

    /// <summary>Makes text safe for a one-line terminal message: line breaks become spaces, other control characters \uXXXX.</summary>
    internal static string OneLine(string s) => Printable(s.ReplaceLineEndings(" "));

    private static string Printable(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var r in s.EnumerateRunes()) // a lone surrogate comes out as U+FFFD
        {
            if (Rune.IsControl(r)) sb.Append($"\\u{r.Value:X4}");
            else sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "...";
}
