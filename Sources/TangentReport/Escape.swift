import Foundation

/// Escaping of text from files (summaries, configs, claims, stage ids) before it goes into HTML or SVG: the five
/// markup characters become entities, and characters that XML forbids (C0 controls but tab and line ends,
/// unpaired surrogates cannot occur in a Swift String) become U+FFFD, so no file can inject markup or script.
public enum Escape {
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A relative URL path from path components: each percent-encoded (all but unreserved characters), joined by
    /// `/`, then escaped for an attribute.
    public static func href(_ components: [String]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return html(components.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }.joined(separator: "/"))
    }

    /// An identifier safe in `id` attributes, URLs and file names: lower-case ASCII letters, digits and `-`, other
    /// characters as `-` (runs collapsed), never empty.
    public static func identifier(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        while out.hasPrefix("-") { out.removeFirst() }
        return out.isEmpty ? "plot" : out
    }
}
