import Foundation

/// Where an output directory may go: never onto, inside or around an input (a model directory, an
/// adapter, a data file), where writing it would replace or delete what is being read.
public enum OutputPaths {
    /// The absolute path with symbolic links resolved (also of a path that does not exist yet: its
    /// nearest existing ancestor is resolved).
    public static func resolved(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var path = existing.resolvingSymlinksInPath().path
        for component in rest { path = (path as NSString).appendingPathComponent(component) }
        return path
    }

    /// A phrase saying how `output` overlaps `input` ("is", "lies inside", "contains"), or nil when
    /// they are apart.
    public static func overlap(output: URL, input: URL) -> String? {
        let o = resolved(output), i = resolved(input)
        if o == i { return "is" }
        if i.hasPrefix(o.hasSuffix("/") ? o : o + "/") { return "contains" }
        if o.hasPrefix(i.hasSuffix("/") ? i : i + "/") { return "lies inside" }
        return nil
    }
}
