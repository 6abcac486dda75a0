extension UnsafeBufferPointer {
    /// The first element's address; the buffer must not be empty (a precondition, not a crash on nil).
    @inlinable public var start: UnsafePointer<Element> {
        guard let base = baseAddress else { preconditionFailure("empty buffer has no start") }
        return base
    }
}

extension UnsafeMutableBufferPointer {
    /// The first element's address; the buffer must not be empty (a precondition, not a crash on nil).
    @inlinable public var start: UnsafeMutablePointer<Element> {
        guard let base = baseAddress else { preconditionFailure("empty buffer has no start") }
        return base
    }
}
