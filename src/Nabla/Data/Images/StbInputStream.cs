namespace Nabla.Data.Images;

/// <summary>
/// A read-only stream over an encoded image that StbImageSharp reads through, with stb_image's own rule for
/// skips: a skip never moves past the end of the data and a negative skip moves to the end.
/// </summary>
/// <remarks>
/// StbImageSharp skips segments with <c>Seek(n, SeekOrigin.Current)</c> and tests for the end with
/// <c>Position == Length</c>. On a <see cref="MemoryStream"/> a skip past the end leaves
/// <c>Position &gt; Length</c>, so that test never holds again, and its JPEG marker loops (“no SOF”, junk after a
/// scan) spin forever reading zeros: a JPEG whose APPn/COM length runs past the end of the file hung the decoder.
/// A negative skip (a PNG chunk length of 2^31 or more, cast to int) would move back and re-read the same chunks.
/// C stb_image clamps the first to the end (<c>img_buffer &gt;= img_buffer_end</c>) and turns the second into
/// “at the end”; this stream does the same, so every loop of the decoder reaches the end of the data.
/// </remarks>
internal sealed class StbInputStream(byte[] data) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => data.Length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, data.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, data.Length - _position);
        data.AsSpan((int)_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int ReadByte() => _position < data.Length ? data[_position++] : -1;

    public override long Seek(long offset, SeekOrigin origin)
    {
        _position = origin switch
        {
            SeekOrigin.Begin => Math.Clamp(offset, 0, data.Length),
            SeekOrigin.Current => offset < 0 ? data.Length : Math.Min(_position + offset, data.Length),
            _ => Math.Clamp(data.Length + offset, 0, data.Length),
        };
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
