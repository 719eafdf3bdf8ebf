using System.Xml;
using System.Xml.Linq;

namespace PSCodeArtifact.Core.Formats;

/// <summary>XML parsing for untrusted manifests (POM, nuspec): no DTDs, no external entities, bounded size.</summary>
public static class SafeXml
{
    public static XmlReaderSettings Settings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        MaxCharactersInDocument = PackageLimits.MaxManifestBytes,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    /// <summary>Parses a manifest; a DTD, an entity, malformed XML or an oversized document is an <c>InvalidPackageFile</c> failure.</summary>
    public static Outcome<XDocument> Load(byte[] bytes, string fileName)
    {
        if (bytes.Length > PackageLimits.MaxManifestBytes)
        {
            return PackageErrors.InvalidFile(fileName, $"the manifest is larger than {PackageLimits.MaxManifestBytes} bytes.");
        }
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = XmlReader.Create(stream, Settings());
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            return PackageErrors.InvalidFile(fileName, $"the XML manifest cannot be read ({e.Message})");
        }
    }
}
