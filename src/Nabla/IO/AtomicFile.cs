namespace Nabla.IO;

/// <summary>Writes a file so that readers see the old contents or the new, never a partial file:
/// a temporary file in the same directory, flushed to disk, then renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8) atomically.</summary>
    /// <exception cref="NablaInputException">The directory is not writable or the disk is full; the message names the path.</exception>
    public static void WriteAllText(string path, string text) => Write(path, s =>
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        s.Write(bytes, 0, bytes.Length);
    });

    /// <summary>Writes through <paramref name="write"/> atomically.</summary>
    /// <exception cref="NablaInputException">The directory is not writable or the disk is full; the message names the path.</exception>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new NablaInputException($"{path}: cannot write ({e.Message})");
        }
    }
}
