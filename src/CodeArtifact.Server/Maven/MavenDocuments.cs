using System.Globalization;
using System.Text;
using System.Xml;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.Server.Maven;

/// <summary>
/// The <c>maven-metadata.xml</c> documents the endpoint renders from the catalog (repository-metadata model 1.1.0). The
/// bytes depend only on what they describe, so the document and the checksums served for it (computed over these exact
/// bytes) agree across requests as long as the catalog does.
/// </summary>
internal static class MavenDocuments
{
    public const string ContentType = "application/xml";
    private const string ModelVersion = "1.1.0";

    private static readonly XmlWriterSettings s_settings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = true,
        IndentChars = "  ",
        NewLineChars = "\n",
    };

    /// <summary>Artifact level: the Published versions, <c>latest</c>, <c>release</c> and <c>lastUpdated</c>.</summary>
    public static byte[] Artifact(MavenArtifactVersions versions) => Write(writer =>
    {
        writer.WriteElementString("groupId", versions.GroupId);
        writer.WriteElementString("artifactId", versions.ArtifactId);
        writer.WriteStartElement("versioning");
        writer.WriteElementString("latest", versions.Latest);
        if (versions.Release is { } release) writer.WriteElementString("release", release);
        writer.WriteStartElement("versions");
        foreach (var version in versions.Versions) writer.WriteElementString("version", version);
        writer.WriteEndElement();
        writer.WriteElementString("lastUpdated", Stamp(versions.LastUpdated));
        writer.WriteEndElement();
    });

    /// <summary>Version level of a SNAPSHOT: its current build and that build's files per classifier and extension.</summary>
    public static byte[] Snapshot(MavenSnapshot snapshot) => Write(writer =>
    {
        writer.WriteElementString("groupId", snapshot.GroupId);
        writer.WriteElementString("artifactId", snapshot.ArtifactId);
        writer.WriteElementString("version", snapshot.Version);
        writer.WriteStartElement("versioning");
        writer.WriteStartElement("snapshot");
        writer.WriteElementString("timestamp", snapshot.Timestamp);
        writer.WriteElementString("buildNumber", snapshot.BuildNumber.ToString(CultureInfo.InvariantCulture));
        writer.WriteEndElement();
        writer.WriteElementString("lastUpdated", Stamp(snapshot.LastUpdated));
        writer.WriteStartElement("snapshotVersions");
        foreach (var file in snapshot.Files)
        {
            writer.WriteStartElement("snapshotVersion");
            if (file.Classifier is { } classifier) writer.WriteElementString("classifier", classifier);
            writer.WriteElementString("extension", file.Extension);
            writer.WriteElementString("value", file.Value);
            writer.WriteElementString("updated", Stamp(file.Updated));
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
        writer.WriteEndElement();
    });

    /// <summary>Maven's <c>yyyyMMddHHmmss</c> in UTC.</summary>
    public static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    private static byte[] Write(Action<XmlWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, s_settings))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement("metadata");
            writer.WriteAttributeString("modelVersion", ModelVersion);
            body(writer);
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
