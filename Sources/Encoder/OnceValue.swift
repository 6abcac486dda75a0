import Foundation

/// A value made by `make` on the first read, once, whichever thread reads first; every later read
/// returns it. For work a shared, immutable object may never need (a `lazy var` is not thread-safe).
final class OnceValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private let make: () -> Value
    private var stored: Value?

    init(_ make: @escaping () -> Value) { self.make = make }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let made = make()
        stored = made
        return made
    }

    /// Whether `value` has been made.
    var isMade: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stored != nil
    }
}
