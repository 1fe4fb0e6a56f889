namespace Nabla.Reporting;

/// <summary>HTML/SVG text escaping for the report.</summary>
internal static class Html
{
    /// <summary>Escapes &amp;, &lt;, &gt; and quotes so that text is safe in element content and attribute values.</summary>
    public static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&#39;");
}
