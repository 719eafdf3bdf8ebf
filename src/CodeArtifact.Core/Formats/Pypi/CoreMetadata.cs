using System.Text;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// A core metadata file (wheel METADATA, sdist PKG-INFO): RFC 822-style headers, then an optional body holding the
/// long description (Metadata-Version 2.1 and later).
/// </summary>
internal sealed class CoreMetadata
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<KeyValuePair<string, string>> _headers;

    private CoreMetadata(List<KeyValuePair<string, string>> headers, string? body)
    {
        _headers = headers;
        Body = body;
    }

    /// <summary>The message body, or null when there is none or it is blank.</summary>
    public string? Body { get; }

    /// <summary>The first value of a header (names compare case-insensitively), or null.</summary>
    public string? Get(string name) =>
        _headers.FirstOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> GetAll(string name) =>
        _headers.Where(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Select(header => header.Value);

    /// <summary>Parses the bytes; returns the reason they are not a core metadata file, or null.</summary>
    public static string? TryParse(byte[] bytes, out CoreMetadata metadata)
    {
        metadata = null!;
        string text;
        try
        {
            text = s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return "it is not UTF-8";
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];

        var headers = new List<KeyValuePair<string, string>>();
        string? name = null;
        var lines = new List<string>();
        var position = 0;
        string? body = null;
        while (position < text.Length)
        {
            var (line, next) = ReadLine(text, position);
            position = next;
            if (line.Length == 0)
            {
                body = text[position..];
                break;
            }
            if (line[0] is ' ' or '\t')
            {
                if (name is null) return "it starts with a continuation line";
                lines.Add(line);
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) return $"the header line '{Shorten(line)}' has no name";
            if (name is not null) headers.Add(new(name, Unfold(name, lines)));
            name = line[..colon].Trim();
            lines.Clear();
            lines.Add(line[(colon + 1)..]);
        }
        if (name is not null) headers.Add(new(name, Unfold(name, lines)));

        metadata = new CoreMetadata(headers, string.IsNullOrWhiteSpace(body) ? null : body);
        return null;
    }

    private static (string Line, int Next) ReadLine(string text, int start)
    {
        var end = text.IndexOfAny(['\r', '\n'], start);
        if (end < 0) return (text[start..], text.Length);
        var next = text[end] == '\r' && end + 1 < text.Length && text[end + 1] == '\n' ? end + 2 : end + 1;
        return (text[start..end], next);
    }

    private static string Unfold(string name, List<string> lines)
    {
        if (!string.Equals(name, "Description", StringComparison.OrdinalIgnoreCase))
        {
            // A folded single-valued field reads as one line.
            return string.Join(' ', lines.Select(line => line.Trim()).Where(line => line.Length > 0));
        }
        // A long description in the header keeps its lines: setuptools indents continuations with eight spaces, the
        // core metadata spec with seven spaces and a '|'.
        var text = new StringBuilder(lines[0].Trim());
        foreach (var line in lines.Skip(1))
        {
            text.Append('\n');
            if (line.StartsWith("       |", StringComparison.Ordinal) || line.StartsWith("        ", StringComparison.Ordinal)) text.Append(line.AsSpan(8));
            else text.Append(line.TrimStart(' ', '\t'));
        }
        return text.ToString().TrimEnd();
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "…";
}
