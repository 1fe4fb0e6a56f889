namespace Nabla.IO.Spec;

/// <summary>A whitespace-separated word of a spec line and its 1-based column.</summary>
internal readonly record struct SpecToken(string Text, int Column)
{
    /// <summary>Splits a line into tokens, dropping a <c>#</c> comment.</summary>
    public static List<SpecToken> Split(string line)
    {
        int hash = line.IndexOf('#');
        if (hash >= 0) line = line[..hash];
        var tokens = new List<SpecToken>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            int start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            if (i > start) tokens.Add(new SpecToken(line[start..i], start + 1));
        }
        return tokens;
    }
}
