import Foundation
import Testing
@testable import TangentPipeline

@Suite("Run folder names are injective")
struct RunFolderNameTests {
    typealias Parts = (profile: String?, overrides: [String])

    @Test("different profile and override lists never share a folder", arguments: [
        ((nil, ["a=x/y"]), (nil, ["a=x_y"])),
        ((nil, ["a=[1, 2]"]), (nil, ["a=[1,2]"])),             // same value, other text: other folder (never the same one)
        ((nil, ["a=1,b=2"]), (nil, ["a=1", "b=2"])),
        ((nil, ["a=x%2Fy"]), (nil, ["a=x/y"])),
        ((nil, ["a=x y"]), (nil, ["a=x_y"])),
        ((nil, ["a=..", "b=1"]), (nil, ["a=.%2C.", "b=1"])),
        (("quick", []), ("quick", ["seed=1"])),
        (("q,seed=1", []), ("q", ["seed=1"])),
        ((nil, ["a=\u{e9}"]), (nil, ["a=e\u{301}"])),
        ((nil, ["a=x~" + String(repeating: "0", count: 64)]), (nil, ["a=x" + String(repeating: "0", count: 65)])),
    ] as [(Parts, Parts)])
    func injective(_ a: Parts, _ b: Parts) {
        let x = RunFolder.folderName(profile: a.profile, overrides: a.overrides)
        let y = RunFolder.folderName(profile: b.profile, overrides: b.overrides)
        #expect(x != y)
        for name in [x, y] {
            #expect(!name.contains("/") && !name.contains("\\") && name != "." && name != ".." && name.utf8.count <= 100)
        }
    }

    @Test("short names read back to the parts; long ones keep a readable prefix and differ by their hash")
    func readableAndLong() throws {
        let parts = ["train.lr=0.1", "model.hidden=[512, 512]", "label=a/b,c"]
        let name = RunFolder.folderName(profile: "quick", overrides: parts)
        #expect(name == "profile=quick,train.lr=0.1,model.hidden=%5B512%2C%20512%5D,label=a%2Fb%2Cc")
        #expect(name.split(separator: ",").map { RunFolder.unescape(String($0)) } == ["profile=quick"] + parts)

        let long = String(repeating: "x", count: 200)
        let a = RunFolder.folderName(profile: nil, overrides: ["label=" + long + "1"])
        let b = RunFolder.folderName(profile: nil, overrides: ["label=" + long + "2"])
        #expect(a != b)
        #expect(a.utf8.count == 100 && b.utf8.count == 100)
        #expect(a.hasPrefix("label=xxxxxxxx") && a.contains("~"))
        // A cut never splits an escape.
        let escaped = RunFolder.folderName(profile: nil, overrides: ["label=" + String(repeating: "/", count: 60)])
        let prefix = try #require(escaped.split(separator: "~").first)
        #expect(prefix.hasSuffix("%2F"))
        // An escaped name never holds a bare `~`, so a short name is never a hashed one.
        #expect(!RunFolder.folderName(profile: nil, overrides: ["a=x~y"]).contains("~"))
    }

    @Test("the default folder of a pipeline with awkward overrides stays inside runs/<pipeline>/")
    func defaultFolder() throws {
        let p = try load("pipeline: p\nstages:\n  a: { use: test.all_types, with: { count: 1 } }\n",
                         overrides: ["a.label=../../x y"])
        let url = RunFolder.defaultURL(for: p, base: URL(fileURLWithPath: "/tmp/base"))
        #expect(url.path == "/tmp/base/runs/p/a.label=..%2F..%2Fx%20y")
    }

    @Test("`profile=…` is never an override, so the profile's part cannot be forged")
    func profileIsNotAnOverride() {
        #expect(diagnostics("pipeline: p\nstages:\n  a: { use: test.source }\n", overrides: ["profile=quick"])
            .map(\.code) == [.badOverride])
    }
}
