using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Nabla.IO;

/// <summary>
/// Writes safetensors files the way the reference implementation does: tensors ordered I64, F64, F32
/// (its dtype order, reversed) then by name, compact JSON with <c>__metadata__</c> first, the header
/// padded with spaces to a multiple of 8 bytes, data contiguous in header order.
/// </summary>
internal static class SafeTensorsWriter
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // UTF-8 names as they are, like the reference
        Indented = false,
    };

    public static void WriteFile(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (ordered, header) = Prepare(tensors, metadata); // argument errors surface before any file exists
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new NablaInputException($"{path}: not a valid file path ({SafeTensorsReader.OneLine(e.Message)})", e);
        }
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (Directory.Exists(full)) throw new NablaInputException($"{path}: is a directory; expected a file name to write");
        if (!Directory.Exists(dir)) throw new NablaInputException($"{path}: cannot write, directory {dir} does not exist");

        string tmp = $"{full}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteBody(fs, ordered, header);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true); // rename(2): readers see the old file or the new one, never a mix
            SyncDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new NablaInputException($"{path}: cannot write ({SafeTensorsReader.OneLine(e.Message)})", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void Write(Stream stream, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (ordered, header) = Prepare(tensors, metadata);
        WriteBody(stream, ordered, header);
    }

    private static (List<SafeTensor>, byte[]) Prepare(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<SafeTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (t is null) throw new ArgumentException("a tensor to write is null", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"two tensors are named '{t.Name}'; names must be unique", nameof(tensors));
            list.Add(t);
        }
        list.Sort((a, b) =>
        {
            int c = a.DType.WriteRank().CompareTo(b.DType.WriteRank());
            return c != 0 ? c : CompareUtf8(a.Name, b.Name);
        });

        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(SafeTensor.MetadataKey);
                foreach (var key in metadata.Keys.OrderBy(k => k, Comparer<string>.Create(CompareUtf8)))
                {
                    if (key is null || metadata[key] is null)
                        throw new ArgumentException($"metadata entry '{key}' is null", nameof(metadata));
                    w.WriteString(key, metadata[key]);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.ToString());
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset += t.ByteLength);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return (list, header);
    }

    private static void WriteBody(Stream stream, List<SafeTensor> ordered, byte[] header)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var t in ordered)
        {
            switch (t.DType)
            {
                case SafeDType.F32: WriteData<float, int>(stream, t.Float!); break;
                case SafeDType.F64: WriteData<double, long>(stream, t.Double!); break;
                case SafeDType.I8: stream.Write(MemoryMarshal.AsBytes(t.Int8!.AsSpan())); break;
                default: WriteData<long, long>(stream, t.Int64!); break;
            }
        }
    }

    /// <summary>Writes elements little-endian in chunks (so no span exceeds int bytes); swaps on big-endian hosts.</summary>
    private static void WriteData<T, TBits>(Stream stream, T[] data) where T : unmanaged where TBits : unmanaged
    {
        const int Chunk = 1 << 20;
        T[]? swap = BitConverter.IsLittleEndian ? null : new T[Math.Min(Chunk, data.Length)];
        for (int i = 0; i < data.Length; i += Chunk)
        {
            var part = data.AsSpan(i, Math.Min(Chunk, data.Length - i));
            if (swap is not null)
            {
                part.CopyTo(swap);
                part = swap.AsSpan(0, part.Length);
                if (typeof(TBits) == typeof(int)) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, int>(part), MemoryMarshal.Cast<T, int>(part));
                else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, long>(part), MemoryMarshal.Cast<T, long>(part));
            }
            stream.Write(MemoryMarshal.AsBytes(part));
        }
    }

    /// <summary>Orders names by their UTF-8 bytes, as the reference (Rust strings) and Python's writer do.</summary>
    internal static int CompareUtf8(string a, string b)
    {
        if (ReferenceEquals(a, b)) return 0;
        return Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
    }

    private static void TryDelete(string tmp)
    {
        try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Best effort: fsync the directory so the rename itself survives a power cut (Linux only).</summary>
    private static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            int fd = Open(dir, 0 /* O_RDONLY */);
            if (fd < 0) return;
            _ = FSync(fd);
            _ = Close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
