import Foundation
import Testing
@testable import TangentReport

@Suite("Ticks and scales")
struct TicksTests {
    @Test("nice steps are 1, 2 or 5 × 10^k")
    func niceSteps() {
        #expect(Ticks.niceStep(span: 10, target: 5) == 2)
        #expect(Ticks.niceStep(span: 1, target: 5) == 0.2)
        #expect(Ticks.niceStep(span: 7, target: 5) == 1)
        #expect(Ticks.niceStep(span: 0.003, target: 5) == 0.0005)
        #expect(Ticks.niceStep(span: 4500, target: 5) == 1000)
    }

    @Test("linear ticks cover the interval with nice numbers, and the nice domain encloses the data")
    func linearTicks() {
        #expect(Ticks.linear(0, 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(Ticks.linear(-3, 7) == [-2, 0, 2, 4, 6])
        #expect(Ticks.linear(0.3, 0.3) == [0.3])
        let (lo, hi) = Ticks.niceLinearDomain(0.13, 0.97)
        #expect(lo == 0 && hi == 1)
        let single = Ticks.niceLinearDomain(5, 5)
        #expect(single.0 < 5 && single.1 > 5)
    }

    @Test("linear labels show the digits the spacing needs, a true minus, and m×10^k for tiny or huge ticks")
    func linearLabels() {
        let ticks = Ticks.linear(0, 1)
        #expect(ticks.map { Ticks.label($0, ticks: ticks) } == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(Ticks.label(-2, ticks: [-2, 0, 2]) == "−2")
        #expect(Ticks.label(2e-5, ticks: [0, 1e-5, 2e-5]) == "2×10⁻⁵")
        #expect(Ticks.label(3e6, ticks: [0, 1e6, 2e6, 3e6]) == "3×10⁶")
        #expect(Ticks.label(25, ticks: [0, 25, 50]) == "25")
    }

    @Test("log ticks are decades (thinned when many), else 1-2-5 numbers, with 10^k labels")
    func logTicks() {
        #expect(Ticks.log(1e-3, 1e2) == [1e-3, 1e-2, 1e-1, 1, 10, 100])
        let many = Ticks.log(1, 1e20)
        #expect(many.count <= 8 && many.first == 1 && many.allSatisfy(Ticks.isDecade))
        #expect(Ticks.log(2, 9) == [2, 5])
        #expect(Ticks.log(0.15, 0.9) == [0.2, 0.5])
        #expect(!Ticks.log(3, 4).isEmpty)
        #expect(Ticks.log(-1, 10).isEmpty)
        #expect(Ticks.logLabel(1e-3, ticks: []) == "10⁻³")
        #expect(Ticks.logLabel(100, ticks: []) == "10²")
        #expect(Ticks.superscript(-12) == "⁻¹²")
        let (lo, hi) = Ticks.logDomain(1, 200)
        #expect(lo < 1 && lo > 0.7 && hi > 200 && hi < 260)
    }

    @Test("short numbers for tables")
    func shortNumbers() {
        #expect(Ticks.short(3) == "3")
        #expect(Ticks.short(-0.5) == "−0.5")
        #expect(Ticks.short(0.123456) == "0.1235")
        #expect(Ticks.short(1.5e-7) == "1.500e−07")
        #expect(Ticks.short(.nan) == "—")
    }

    @Test("a linear scale maps the domain onto the range; a log scale places decades evenly and refuses x ≤ 0")
    func scales() throws {
        let linear = try #require(Scale.fit([0, 10], kind: .linear, range: (100, 300)))
        #expect(linear.domain.lo == 0 && linear.domain.hi == 10)
        #expect(linear.position(5) == 200)
        #expect(linear.position(.nan) == nil && linear.position(.infinity) == nil)
        let log = Scale(kind: .log, domain: (1, 100), range: (0, 200), ticks: [], labels: [])
        #expect(abs(log.position(10)! - 100) < 1e-9)
        #expect(log.position(0) == nil && log.position(-1) == nil)
        #expect(log.clampedPosition(0) == 0)
        #expect(Scale.fit([-1, 0, .nan], kind: .log, range: (0, 1)) == nil)
        let fitted = try #require(Scale.fit([0, 0.5, 3e-4, 20], kind: .log, range: (0, 1)))
        #expect(fitted.labels.contains("10⁻³") && fitted.labels.contains("10¹"))
        let categories = Scale.categorical(["a", "b", "c"], range: (0, 300))
        #expect(categories.position(0) == 50 && categories.position(2) == 250 && categories.labels == ["a", "b", "c"])
    }
}
