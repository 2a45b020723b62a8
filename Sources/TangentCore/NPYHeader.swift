/// The metadata of a `.npy` file: everything before the array data.
struct NPYHeader: Equatable {
    /// The element type of the file's data.
    var dtype: NPYDType
    /// True if the file's multi-byte elements are big-endian (`>f8`, ...).
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]
    /// The `descr` string as written in the file (for messages).
    var descr: String

    /// numpy's `ARRAY_ALIGN`: the preamble plus header is padded to a multiple of this.
    static let arrayAlign = 64
    /// numpy's `GROWTH_AXIS_MAX_DIGITS` (numpy/lib/_format_impl.py): the header reserves room for the
    /// growth axis's length to reach this many digits.
    static let growthAxisMaxDigits = 21
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"

    // MARK: - Writing

    /// The preamble and header exactly as numpy 2.x `np.save` writes them for a C-order array: version 1.0
    /// unless the header needs more than 65535 bytes (then 2.0, as numpy does).
    static func encode(dtype: NPYDType, shape: [Int]) -> [UInt8] {
        var text = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(NPYArray.describe(shape: shape)), }"
        if let growthAxis = shape.first { // C order: numpy grows (and pads for) axis 0
            text += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(growthAxis).count))
        }
        let header = Array(text.utf8)
        let withNewline = header.count + 1
        for (version, lengthBytes) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let prefix = magic.count + 2 + lengthBytes
            // Like numpy, this pads by a full ARRAY_ALIGN when already aligned (padding is never empty).
            let padding = arrayAlign - (prefix + withNewline) % arrayAlign
            let total = withNewline + padding
            guard version == 2 || total <= Int(UInt16.max) else { continue }
            var out = magic + [version, 0]
            out.reserveCapacity(prefix + total)
            let length = UInt32(clamping: total)
            for i in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt32(i)))) }
            out += header
            out += repeatElement(UInt8(ascii: " "), count: padding)
            out.append(0x0A)
            return out
        }
        return [] // unreachable: version 2.0 always fits
    }

    // MARK: - Reading

    /// Parses and validates the header dictionary `bytes` (already cut out of the file). `utf8` selects the
    /// format 3.0 encoding; versions 1.0 and 2.0 are Latin-1.
    static func parse(_ bytes: [UInt8], utf8: Bool, source: String) throws -> NPYHeader {
        let literal: PythonLiteral
        do {
            literal = try PythonLiteralParser.parse(bytes, utf8Strings: utf8)
        } catch {
            throw NPYError(.badHeader,
                           "malformed header: \(error.reason) at character \(error.offset) of the header "
                           + "dictionary \(quoted(bytes, utf8: utf8)). The header is corrupt; re-write the file "
                           + "with np.save or NPY.write.",
                           source: source)
        }
        guard case .dict(let pairs) = literal else {
            throw bad("the header is \(literal.briefRepr), not a dictionary", bytes, utf8, source)
        }
        var entries: [String: PythonLiteral] = [:]
        for (key, value) in pairs {
            guard case .string(let name) = key else {
                throw bad("header key \(key.briefRepr) is not a string", bytes, utf8, source)
            }
            guard ["descr", "fortran_order", "shape"].contains(name) else {
                throw bad("unexpected key \(key.briefRepr) (a .npy header has exactly 'descr', 'fortran_order' and "
                          + "'shape')", bytes, utf8, source)
            }
            entries[name] = value
        }
        for key in ["descr", "fortran_order", "shape"] where entries[key] == nil {
            throw bad("the header has no '\(key)' key", bytes, utf8, source)
        }

        guard case .tuple(let dims)? = entries["shape"] else {
            throw bad("'shape' must be a tuple of integers, not \(entries["shape"]?.briefRepr ?? "")", bytes, utf8, source)
        }
        var shape: [Int] = []
        for dim in dims {
            guard case .int(let value) = dim else {
                throw bad("'shape' must be a tuple of integers, found \(dim.briefRepr)", bytes, utf8, source)
            }
            guard let value, value >= 0 else {
                throw bad("'shape' dimension \(dim.briefRepr) is negative or too large", bytes, utf8, source)
            }
            shape.append(value)
        }
        guard case .bool(let fortranOrder)? = entries["fortran_order"] else {
            throw bad("'fortran_order' must be True or False, not \(entries["fortran_order"]?.briefRepr ?? "")",
                      bytes, utf8, source)
        }
        guard let descrValue = entries["descr"] else { throw bad("the header has no 'descr' key", bytes, utf8, source) }
        let (dtype, bigEndian, descr) = try parseDescr(descrValue, source: source)
        return NPYHeader(dtype: dtype, bigEndian: bigEndian, fortranOrder: fortranOrder, shape: shape, descr: descr)
    }

    static let supportedList = "<f8 (float64), <f4 (float32), <i8 (int64), <i4 (int32), |u1 (uint8) and |b1 (bool), "
        + "plus the big-endian forms >f8, >f4, >i8 and >i4"

    /// Maps a numpy type string (`'<f8'`, `'>i4'`, `'|b1'`, ...) to a dtype and byte order.
    static func parseDescr(_ value: PythonLiteral, source: String) throws -> (NPYDType, bigEndian: Bool, String) {
        guard case .string(let descr) = value else {
            if case .list = value {
                throw NPYError(.unsupportedDType,
                               "unsupported dtype \(value.briefRepr): structured (record) arrays are not supported. "
                               + "Supported dtypes are \(supportedList); save each field as its own array.",
                               source: source)
            }
            throw NPYError(.unsupportedDType,
                           "unsupported dtype \(value.briefRepr): only simple dtypes are supported, namely "
                           + "\(supportedList). Convert the array before saving, e.g. arr.astype(np.float64).",
                           source: source)
        }
        var chars = Array(descr.unicodeScalars)
        var order: Unicode.Scalar = "="
        if let first = chars.first, "<>|=".unicodeScalars.contains(first) {
            order = first
            chars.removeFirst()
        }
        let body = String(String.UnicodeScalarView(chars))
        let dtype: NPYDType? = switch body {
        case "f8": .float64
        case "f4": .float32
        case "i8": .int64
        case "i4": .int32
        case "u1": .uint8
        case "b1": .bool
        default: nil
        }
        guard let dtype else {
            throw NPYError(.unsupportedDType,
                           "unsupported dtype \(value.briefRepr)\(dtypeHint(body)). Supported dtypes are \(supportedList). "
                           + "Convert the array before saving, e.g. np.save(path, arr.astype(np.float64)).",
                           source: source)
        }
        let hostIsBig = 1.bigEndian == 1
        let bigEndian = dtype.itemSize > 1 && (order == ">" || ((order == "=" || order == "|") && hostIsBig))
        return (dtype, bigEndian, descr)
    }

    /// A parenthesized explanation of a numpy type string we do not support, e.g. `" (complex128)"`.
    private static func dtypeHint(_ body: String) -> String {
        guard let kind = body.first else { return "" }
        // Item sizes are bytes; bound them so the bit count cannot overflow on a hostile header.
        let bytes = Int(body.dropFirst()).flatMap { (1...1024).contains($0) ? $0 : nil }
        let bits = bytes.map { "\($0 * 8)-bit " } ?? ""
        switch kind {
        case "c": return " (complex\(bytes.map { String($0 * 8) } ?? ""))"
        case "U": return " (Unicode string)"
        case "S", "a": return " (byte string)"
        case "O": return " (Python objects, stored with pickle)"
        case "M": return " (datetime64)"
        case "m": return " (timedelta64)"
        case "V": return " (raw void/structured data)"
        case "f": return " (\(bits)float)"
        case "i": return " (\(bits)signed integer)"
        case "u": return " (\(bits)unsigned integer)"
        case "b": return " (\(bits)bool)"
        default: return ""
        }
    }

    private static func bad(_ problem: String, _ bytes: [UInt8], _ utf8: Bool, _ source: String,
                            fileID: String = #fileID, line: Int = #line) -> NPYError {
        NPYError(.badHeader,
                 "malformed header: \(problem), in header dictionary \(quoted(bytes, utf8: utf8)). Re-write the "
                 + "file with np.save or NPY.write.",
                 source: source, fileID: fileID, line: line)
    }

    /// The header text for messages: trailing padding removed, at most 200 characters.
    static func quoted(_ bytes: [UInt8], utf8: Bool) -> String {
        var text = utf8 ? String(decoding: bytes, as: UTF8.self)
                        : String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        while let last = text.unicodeScalars.last, last == " " || last == "\n" { text.unicodeScalars.removeLast() }
        if text.count > 200 { text = String(text.prefix(200)) + "..." }
        return "\"" + text.replacingNewlines() + "\""
    }
}

private extension String {
    func replacingNewlines() -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
