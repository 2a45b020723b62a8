import Foundation

/// Progress of long work inside a stage. Stages call `start`, `advance` and `finish`; the reporter decides how to
/// show it: a live bar with rate and ETA on a terminal, plain log lines otherwise.
public protocol ProgressReporter: AnyObject, Sendable {
    func start(_ label: String, total: Int)
    func advance(by steps: Int)
    func finish()
    func log(_ message: String)
}

/// Writes progress to standard error: a redrawn bar on a terminal, or a line every 10% (and at most every few
/// seconds) when output is a file or pipe.
public final class ConsoleProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal: Bool
    private let prefix: String
    private var label = ""
    private var total = 0
    private var done = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var lastLoggedDecile = -1

    public init(prefix: String = "", isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.prefix = prefix
        self.isTerminal = isTerminal
    }

    public func start(_ label: String, total: Int) {
        lock.withLock {
            self.label = label
            self.total = max(total, 1)
            done = 0
            started = Date()
            lastDraw = .distantPast
            lastLoggedDecile = -1
        }
        advance(by: 0)
    }

    public func advance(by steps: Int) {
        lock.withLock {
            done = min(done + steps, total)
            let now = Date()
            let elapsed = now.timeIntervalSince(started)
            let fraction = Double(done) / Double(total)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let eta = rate > 0 ? Double(total - done) / rate : 0
            if isTerminal {
                guard now.timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
                lastDraw = now
                let width = 28
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                let line = "\r\(prefix)\(label) [\(bar)] \(done)/\(total) \(String(format: "%.1f", rate))/s ETA \(Self.clock(eta))"
                FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
            } else {
                let decile = Int(fraction * 10)
                guard decile > lastLoggedDecile, now.timeIntervalSince(lastDraw) > 2 || done == total || done == 0 else { return }
                lastLoggedDecile = decile
                lastDraw = now
                let line = "\(prefix)\(label): \(done)/\(total) (\(Int(fraction * 100))%), \(String(format: "%.1f", rate))/s, ETA \(Self.clock(eta))\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
    }

    public func finish() {
        lock.withLock {
            if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    public func log(_ message: String) {
        lock.withLock {
            if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
        }
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}

/// Discards progress (tests, library use).
public final class SilentProgress: ProgressReporter, @unchecked Sendable {
    public init() {}
    public func start(_ label: String, total: Int) {}
    public func advance(by steps: Int) {}
    public func finish() {}
    public func log(_ message: String) {}
}
