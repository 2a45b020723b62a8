import Foundation
import Testing
@testable import TangentCore

@Suite("One error shape")
struct TangentErrorTests {
    @Test("codes of every domain compare as values; the location is the throwing line")
    func codes() {
        let e = NPYError(.truncated, "cut short.", source: "a.npy")
        #expect(e.code == .truncated && e.code.rawValue == "truncated" && e.location.fileID.hasSuffix("TangentErrorTests.swift"))
        let n = NumericsError(.notPositiveDefinite, "not PD")
        #expect(n.code == .notPositiveDefinite && n.source == nil)
        #expect(NPYError(.io, "x", source: "s") == NPYError(.io, "x", source: "s"))
        #expect(NPYError(.io, "x", source: "s") != NPYError(.badMagic, "x", source: "s"))
    }

    @Test("description: source, message, then Tangent's own cause; a cause the message already tells is not repeated")
    func description() {
        let system = SystemCallError(call: "open", errno: ENOENT)
        let io = NPYError(.io, "cannot open the file.", source: "/x.npy", cause: system)
        #expect(io.description == "/x.npy: cannot open the file. (cause: open failed: No such file or directory (errno 2))")
        let wrapped = TangentError(TangentError.Code(rawValue: "stageFailed"), "stage `a` failed", cause: io)
        #expect(wrapped.description == "stage `a` failed: \(io.description)")
        let elaborated = TangentError(.missingMember, "train_inputs: \(io.message)", source: "/x.npy", cause: io)
        #expect(elaborated.description == "/x.npy: train_inputs: cannot open the file.")
    }

    @Test("Foundation's error text never reaches the description")
    func foundationHidden() {
        let cocoa = CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/x"])
        let e = TangentError(.io, "cannot read the pipeline file", cause: cocoa)
        #expect(e.description == "cannot read the pipeline file")
        #expect(TangentError.userText(cocoa) == nil)
        #expect(TangentError.userText(NSError(domain: NSCocoaErrorDomain, code: 4)) == nil)
        struct Plain: Error, CustomStringConvertible { var description: String { "boom" } }
        #expect(TangentError(TangentError.Code(rawValue: "stageFailed"), "stage failed", cause: Plain()).description == "stage failed: boom")
    }
}
